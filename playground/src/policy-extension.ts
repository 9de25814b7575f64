/**
 * The policy language as a VS Code extension manifest for monaco-vscode-api:
 * the same TextMate grammar and language configuration the real extension
 * contributes (media/), so highlighting, brackets and comments match VS Code.
 */
import type { ExtensionConfig } from 'monaco-languageclient/vscodeApiWrapper';
import languageConfiguration from '../../media/language-configuration.json?raw';
import grammar from '../../media/policy.tmLanguage.json?raw';

export const POLICY_LANGUAGE_ID = 'policy';

export const policyExtension: ExtensionConfig = {
  config: {
    name: 'policy-playground',
    publisher: 'policy-studio',
    version: '0.1.0',
    engines: { vscode: '*' },
    contributes: {
      languages: [{
        id: POLICY_LANGUAGE_ID,
        aliases: ['Policy', 'policy'],
        extensions: ['.policy'],
        configuration: './language-configuration.json',
      }],
      grammars: [{
        language: POLICY_LANGUAGE_ID,
        scopeName: 'source.policy',
        path: './policy.tmLanguage.json',
      }],
    },
  },
  filesOrContents: new Map([
    ['/language-configuration.json', languageConfiguration],
    ['/policy.tmLanguage.json', grammar],
  ]),
};
