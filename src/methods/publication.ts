import Type from 'typebox'

/** A position in a channel's history, as a client sends it back. */
export const StreamPosition = Type.Object({
  offset: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  epoch: Type.String({ maxLength: 64 })
})

/** A kept message: the params of its `message` notification. */
export const Publication = Type.Object({
  channel: Type.String(),
  data: Type.Unknown(),
  from: Type.String(),
  offset: Type.Integer(),
  epoch: Type.String()
})
