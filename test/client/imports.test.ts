import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** The server files the client may load at run time: constants that import nothing. */
const SHARED = ['src/subprotocol.ts', 'src/close-codes.ts', 'src/rpc/error-code.ts']

/** Each import that stays in the JavaScript (type-only ones are erased): static, re-exports and `import()`. */
function runtimeImports (file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: string[] = []
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      const bindings = node.importClause?.namedBindings
      const allTypes = bindings !== undefined && ts.isNamedImports(bindings) && node.importClause?.name === undefined &&
        bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly)
      if (!allTypes) found.push((node.moduleSpecifier as ts.StringLiteral).text)
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier !== undefined) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      found.push((node.arguments[0] as ts.StringLiteral).text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

test('the client loads nothing of Node or of the server but the shared constants, and ws only as its fallback', () => {
  const files = readdirSync(join(root, 'client')).filter((name) => name.endsWith('.ts')).map((name) => join(root, 'client', name))
  const outside: string[] = []
  for (const file of files) {
    for (const specifier of runtimeImports(file)) {
      const name = relative(root, file)
      if (specifier === 'ws' && name === 'client/websocket.ts') continue
      if (!specifier.startsWith('.')) { outside.push(`${name}: ${specifier}`); continue }
      const target = relative(root, resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      if (!target.startsWith('client/') && !SHARED.includes(target)) outside.push(`${name}: ${target}`)
    }
  }
  assert.deepEqual(outside, [])
  for (const shared of SHARED) assert.deepEqual(runtimeImports(join(root, shared)), [], `${shared} imports nothing`)
})
