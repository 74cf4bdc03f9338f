import { executionAsyncResource } from 'node:async_hooks'

let held: object | undefined

/**
 * Keeps one `process.nextTick` tick object alive for the life of the process.
 *
 * Every socket read and every completed write schedules a tick. V8 (Node 20) remembers the hidden classes of the
 * tick object literal only weakly; a full GC at a moment when no tick is pending frees them, the literal's
 * feedback turns megamorphic for good, and from then on each tick is built in the runtime, property by property
 * (the cost is in docs/architecture.md). One live tick object keeps its hidden class and, through back pointers, the whole chain, so the feedback stays monomorphic.
 * Called as early as possible; if the feedback has already turned, holding the object costs nothing.
 */
export function holdTickShape () {
  if (held !== undefined) return
  // inside a tick callback the execution resource is the tick object itself
  process.nextTick(() => { held ??= executionAsyncResource() })
}
