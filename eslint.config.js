import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true }),
  {
    rules: {
      // a const object and its type share a name on purpose (`CloseCode`, `WsEnv`)
      '@typescript-eslint/no-redeclare': 'off'
    }
  },
  { ignores: ['dist/', 'node_modules/', '.docs-check/'] }
]
