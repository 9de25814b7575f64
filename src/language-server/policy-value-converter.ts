/**
 * Label keys and CIDRs may be written quoted (`"app.kubernetes.io/name"`,
 * `"10.0.0.0/8"`); the AST always holds the bare value.
 */
import { DefaultValueConverter, ValueConverter, type CstNode, type GrammarAST, type ValueType } from 'langium';

export class PolicyValueConverter extends DefaultValueConverter {
  protected override runConverter(rule: GrammarAST.AbstractRule, input: string, cstNode: CstNode): ValueType {
    if ((rule.name === 'LabelKey' || rule.name === 'Cidr') && input.startsWith('"')) {
      return ValueConverter.convertString(input);
    }
    return super.runConverter(rule, input, cstNode);
  }
}
