import Type from 'typebox'
import { defineMethod } from './method.js'

/** Echoes the text back to the sender alone. */
export default defineMethod({
  name: 'self.reply',
  summary: 'Echoes `text` back to the sender alone',
  params: Type.Object({ text: Type.String() }),
  result: Type.Object({ text: Type.String() }),
  handle ({ text }) {
    return { text }
  }
})
