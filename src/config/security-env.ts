import Type from 'typebox'

/** Who may connect and how hard they may push. */
export const SecurityEnv = Type.Object({
  WS_AUTH_ENABLED: Type.Boolean({ default: false }),
  WS_BEARER_TOKENS: Type.String({ default: '' }),
  WS_RATE_LIMIT_ENABLED: Type.Boolean({ default: false }),
  WS_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 100 }),
  WS_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, default: 60_000 })
})
