// A chat room on the hub's client: presence, publish, and recovery after the network comes back.
import { HubClient } from '/hub-client.js'

const $ = (id) => document.getElementById(id)
const hubUrl = window.location.origin.replace(/^http/, 'ws') + '/ws' // https: → wss:

// The "Network" button: sockets made through this class are closed when it goes off, and refuse to open until it is
// back on, as a lost Wi-Fi would. The client only sees close events, and reconnects and recovers on its own.
let isOnline = true
const openSockets = new Set()
class SwitchableWebSocket extends WebSocket {
  constructor (url, protocols) {
    super(url, protocols)
    if (!isOnline) {
      this.close()
      return
    }
    openSockets.add(this)
    this.addEventListener('close', () => openSockets.delete(this))
  }
}

let client
let user
let subscription
let hasSubscribed = false
const members = new Map() // client id → user name
const recoveredOffsets = new Set() // shown marked, whether onSubscribed or their onMessage comes first

function setStatus (text) {
  $('status').textContent = text
}

function connectAs (name) {
  client?.close()
  user = name
  // demo tokens: examples/demo/server.ts accepts `<user>-demo-token`; the client offers it as a subprotocol
  client = new HubClient(hubUrl, { token: `${name}-demo-token`, WebSocket: SwitchableWebSocket, reconnect: { minDelayMs: 200, maxDelayMs: 2000 } })
  client.on('connected', () => setStatus(`connected as ${user}`))
  client.on('disconnected', ({ code, reason, willReconnect }) => {
    setStatus(`disconnected (${code}${reason ? ` ${reason}` : ''})${willReconnect ? ', reconnecting…' : ''}`)
    $('presence').classList.add('stale')
  })
  client.on('error', (err) => setStatus(`error: ${err.message}`))
}

function enter (room) {
  subscription?.unsubscribe()
  hasSubscribed = false
  members.clear()
  recoveredOffsets.clear()
  $('messages').replaceChildren()
  $('room-name').textContent = room
  subscription = client.subscribe(room, {
    presence: true,
    onMessage: showMessage,
    onJoin: ({ client: member }) => { members.set(member.id, member.user); showPresence() },
    onLeave: ({ client: member }) => { members.delete(member.id); showPresence() },
    onSubscribed (result) {
      if (hasSubscribed) {
        const count = result.publications.length
        setStatus(result.recovered
          ? `connected as ${user}, recovered ${count} message${count === 1 ? '' : 's'}`
          : `connected as ${user}; some messages could not be recovered`)
        for (const { offset } of result.publications) {
          recoveredOffsets.add(offset)
          $('messages').querySelector(`li[data-offset="${offset}"]`)?.classList.add('recovered')
        }
      }
      hasSubscribed = true
      refreshPresence()
    }
  })
  subscription.ready.catch((err) => setStatus(`cannot join ${room}: ${err.message}`))
}

async function refreshPresence () {
  const { clients } = await subscription.presence()
  members.clear()
  for (const member of clients) members.set(member.id, member.user)
  showPresence()
}

function showPresence () {
  $('presence').classList.remove('stale')
  const byName = [...members].sort(([, a = ''], [, b = '']) => a.localeCompare(b))
  $('presence').replaceChildren(...byName.map(([id, name]) => {
    const item = document.createElement('li')
    item.textContent = name ?? id
    item.title = id
    return item
  }))
}

function showMessage ({ data, offset }) {
  const item = document.createElement('li')
  item.dataset.offset = offset
  if (recoveredOffsets.has(offset)) item.classList.add('recovered')
  const name = document.createElement('b')
  name.textContent = data.user
  item.append(name, ` ${data.text}`)
  $('messages').append(item)
  item.scrollIntoView({ block: 'nearest' })
}

$('join').addEventListener('submit', (event) => {
  event.preventDefault()
  if ($('user').value !== user) connectAs($('user').value)
  enter($('room').value)
})

$('chat').addEventListener('submit', async (event) => {
  event.preventDefault()
  const text = $('text').value
  $('text').value = ''
  try {
    await client.call('publish', { channel: $('room-name').textContent, data: { user, text } })
  } catch (err) {
    setStatus(`not sent: ${err.message}`)
  }
})

$('network').addEventListener('click', () => {
  isOnline = !isOnline
  $('network').textContent = isOnline ? 'Network on' : 'Network off'
  $('network').setAttribute('aria-pressed', String(isOnline))
  if (!isOnline) for (const socket of openSockets) socket.close(4000, 'network off')
})

connectAs($('user').value)
enter($('room').value)
