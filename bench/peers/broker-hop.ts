import { Redis } from 'ioredis'
import { connect } from 'nats'
import { nowUs } from '../load/clock.js'

/**
 * The broker hop with nothing of ours in it: `sub` subscribes with the bare client and prints each message's age on
 * arrival; `pub` publishes its send time at a fixed rate. Both on the server core beside the broker, like the
 * cluster rows' instances. argv: role (pub|sub), broker (redis|nats), url, channel, and for pub: rate, count.
 */
const [role, broker, url, channel, rateArg, countArg] = process.argv.slice(2)
const END = 'end'

async function subscribe (onMessage: (text: string) => void) {
  if (broker === 'nats') {
    const connection = await connect({ servers: url })
    connection.subscribe(channel, { callback: (_err, message) => onMessage(message.string()) })
    await connection.flush()
  } else {
    const redis = new Redis(url)
    await redis.subscribe(channel)
    redis.on('message', (_channel: string, message: string) => onMessage(message))
  }
}

async function publisher (): Promise<(text: string) => Promise<unknown>> {
  if (broker === 'nats') {
    const connection = await connect({ servers: url })
    // the same confirmation our NATS adapter waits for
    return async (text) => { connection.publish(channel, text); await connection.flush() }
  }
  const redis = new Redis(url, { enableAutoPipelining: true })
  await redis.ping()
  return (text) => redis.publish(channel, text)
}

async function main () {
  if (role === 'sub') {
    const ages: number[] = []
    await subscribe((text) => {
      if (text !== END) {
        ages.push(nowUs() - Number(text))
        return
      }
      console.log(JSON.stringify(ages))
      process.exit(0)
    })
    console.log('ready')
    return
  }
  const publish = await publisher()
  const intervalMs = 1000 / Number(rateArg)
  const started = performance.now()
  for (let i = 0; i < Number(countArg); i++) {
    // paced on the start time, so a late timer does not lower the rate
    const due = started + i * intervalMs - performance.now()
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due))
    await publish(String(nowUs()))
  }
  await publish(END)
  process.exit(0)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
