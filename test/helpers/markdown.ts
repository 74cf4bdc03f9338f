import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/** A fenced code block of a Markdown page: its language tag, its text, and where it starts (for failure messages). */
export interface CodeBlock {
  page: string
  /** 1-based line of the block's first code line. */
  line: number
  lang: string
  code: string
  /** The nearest heading above the block, without its `#`s. */
  heading: string
}

/** Every fenced block of the pages, in order. Fences are ``` at the start of a line; nested fences are not used. */
export async function codeBlocks (root: string, pages: readonly string[]): Promise<CodeBlock[]> {
  const blocks: CodeBlock[] = []
  for (const page of pages) {
    const lines = (await readFile(join(root, page), 'utf8')).split('\n')
    let open: { lang: string, line: number, body: string[] } | undefined
    let heading = ''
    lines.forEach((text, index) => {
      if (!text.startsWith('```')) {
        if (open !== undefined) open.body.push(text)
        else if (text.startsWith('#')) heading = text.replace(/^#+\s*/, '')
        return
      }
      if (open === undefined) {
        open = { lang: text.slice(3).trim(), line: index + 2, body: [] }
      } else {
        blocks.push({ page, line: open.line, lang: open.lang, code: open.body.join('\n'), heading })
        open = undefined
      }
    })
    if (open !== undefined) throw new Error(`${page}: the code block at line ${open.line - 1} is never closed`)
  }
  return blocks
}
