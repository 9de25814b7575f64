/**
 * `import "other.policy"`: in an editor every `.policy` file of the workspace
 * is already one program, so an import only has to name a file that exists
 * there; the CLI (given some files, no workspace) loads imported files too.
 * Paths are relative to the importing file.
 */
import { UriUtils, type LangiumDocument, type URI } from 'langium';
import { isModel } from './generated/ast.js';

export function importedUris(document: LangiumDocument): URI[] {
  const model = document.parseResult.value;
  if (!isModel(model)) return [];
  return model.imports.filter((i) => i.path).map((i) => UriUtils.resolvePath(UriUtils.dirname(document.uri), i.path));
}
