/*
 * Incremental parser for the text/event-stream format (WHATWG HTML, "Server-sent events",
 * section 9.2.6 "Interpreting an event stream"). It knows text and callbacks only: no DOM,
 * no fetch, so it runs in a page and in server-side JavaScript alike.
 *
 *   import { SseParser } from './sse.js';
 *
 *   const parser = new SseParser(
 *     (event) => { ... },    // { type, data, lastEventId }; type is 'message' unless `event:` set it
 *     (comment) => { ... },  // optional: text after ':' minus one leading space (keep-alives)
 *     (retry) => { ... },    // optional: a valid `retry:` value in milliseconds
 *   );
 *   parser.feed(textChunk);  // any split: mid-line, mid-CRLF, one character at a time
 *   parser.end();            // end of stream: an unterminated last event is dropped
 *
 * Feed it decoded text. Decode with a TextDecoder that keeps the byte order mark
 * ({ ignoreBOM: true }): the parser removes exactly one leading U+FEFF, as the format says,
 * and a decoder that removed it too would let a second BOM through.
 */

const LF = 0x0a;
const CR = 0x0d;
const LINE_END = /[\r\n]/g;

export class SseParser {
  #onEvent;
  #onComment;
  #onRetry;
  #tail = '';          // the unfinished line carried between chunks
  #started = false;    // a BOM counts only at the very start of the stream
  #afterCR = false;    // last chunk ended in CR: an LF opening the next one ends no new line
  #data = '';
  #type = '';
  #idBuffer = '';
  #lastEventId = '';

  constructor(onEvent, onComment = () => {}, onRetry = () => {}) {
    if (typeof onEvent !== 'function') throw new TypeError('onEvent must be a function');
    this.#onEvent = onEvent;
    this.#onComment = onComment;
    this.#onRetry = onRetry;
  }

  /** The id of the last dispatched block; it persists across events, as in EventSource. */
  get lastEventId() {
    return this.#lastEventId;
  }

  feed(text) {
    if (!text) return;
    let start = 0;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) start = 1;
    }
    if (this.#afterCR) {
      this.#afterCR = false;
      if (text.charCodeAt(start) === LF) start += 1;
    }
    for (;;) {
      // Set before every search: a callback may feed another parser that shares the regex.
      LINE_END.lastIndex = start;
      const match = LINE_END.exec(text);
      if (match === null) break;
      const end = match.index;
      let line = text.slice(start, end);
      if (this.#tail) {
        line = this.#tail + line;
        this.#tail = '';
      }
      start = end + 1;
      if (text.charCodeAt(end) === CR) {
        if (start === text.length) this.#afterCR = true;
        else if (text.charCodeAt(start) === LF) start += 1;
      }
      this.#line(line);
    }
    if (start < text.length) this.#tail += text.slice(start);
  }

  /** Ends the stream: pending data and an unterminated line are discarded, never dispatched. */
  end() {
    this.#tail = '';
    this.#started = false;
    this.#afterCR = false;
    this.#data = '';
    this.#type = '';
    this.#idBuffer = this.#lastEventId;
  }

  #line(line) {
    if (line === '') {
      this.#dispatch();
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) {
      this.#onComment(line.charCodeAt(1) === 0x20 ? line.slice(2) : line.slice(1));
      return;
    }
    let field = line;
    let value = '';
    if (colon > 0) {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    switch (field) {
      case 'data':
        this.#data += value + '\n';
        break;
      case 'event':
        this.#type = value;
        break;
      case 'id':
        // An id containing NUL is ignored, so a stream cannot set one the client can't echo.
        if (!value.includes('\0')) this.#idBuffer = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#onRetry(Number(value));
        break;
      default:
        // Unknown fields are ignored, so the format can grow.
    }
  }

  #dispatch() {
    // Every blank line commits the id, even for a block that carries no data.
    this.#lastEventId = this.#idBuffer;
    if (this.#data === '') {
      this.#type = '';
      return;
    }
    const event = {
      type: this.#type || 'message',
      data: this.#data.slice(0, -1),
      lastEventId: this.#lastEventId,
    };
    this.#data = '';
    this.#type = '';
    this.#onEvent(event);
  }
}
