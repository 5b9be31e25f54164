// The demo page's own event-stream parser (webapp/sse.js), imported as the page imports it, on
// streams cut into chunks anywhere: what it dispatches must not depend on where a network read
// happened to end.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../../../webapp/sse.js';

/** Everything the parser reports for `chunks`, in order, as one list. */
function parse(chunks) {
  const seen = [];
  const parser = new SseParser(
    (event) => seen.push({ event }),
    (comment) => seen.push({ comment }),
    (retry) => seen.push({ retry }),
  );
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return seen;
}

// A stream with every kind of line end, a BOM, comments, named events, ids (set, kept, cleared),
// retry, multi-line and empty data, a field without a colon, an unknown field, and characters
// outside the BMP.
const STREAM = '\uFEFF: hello\r\n'
  + 'retry: 1500\n'
  + 'event: greeting\r\nid: 1\r\ndata: line one\r\ndata: line two\r\n\r\n'
  + 'data:{"n":2}\n\n'
  + 'event: delta\rdata\r\r'
  + ':\n'
  + 'data:  spaced 🌊 ünï\nunknown: x\n\n'
  + 'id:\ndata: cleared\n\n'
  + 'data: last\r\n\r\n';

const EXPECTED = [
  { comment: 'hello' },
  { retry: 1500 },
  { event: { type: 'greeting', data: 'line one\nline two', lastEventId: '1' } },
  { event: { type: 'message', data: '{"n":2}', lastEventId: '1' } },
  { event: { type: 'delta', data: '', lastEventId: '1' } },
  { comment: '' },
  { event: { type: 'message', data: ' spaced 🌊 ünï', lastEventId: '1' } },
  { event: { type: 'message', data: 'cleared', lastEventId: '' } },
  { event: { type: 'message', data: 'last', lastEventId: '' } },
];

test('the whole stream in one chunk', () => {
  assert.deepEqual(parse([STREAM]), EXPECTED);
});

test('split at every offset, the stream gives the same events', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    assert.deepEqual(parse([STREAM.slice(0, i), STREAM.slice(i)]), EXPECTED, `split at ${i}`);
  }
});

test('split at every pair of offsets, the stream gives the same events', () => {
  for (let i = 0; i <= STREAM.length; i++) {
    for (let j = i; j <= STREAM.length; j++) {
      const chunks = [STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)];
      assert.deepEqual(parse(chunks), EXPECTED, `split at ${i} and ${j}`);
    }
  }
});

test('one character at a time, the stream gives the same events', () => {
  assert.deepEqual(parse([...STREAM]), EXPECTED);
});

test('CR at the end of one chunk and LF at the start of the next end one line', () => {
  // Were the pair two line ends, the blank line between them would dispatch "a" alone.
  assert.deepEqual(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']), [
    { event: { type: 'message', data: 'a\nb', lastEventId: '' } },
  ]);
  // A CR-terminated chunk followed by a chunk that starts another line: both are line ends.
  assert.deepEqual(parse(['data: a\r', '\r']), [
    { event: { type: 'message', data: 'a', lastEventId: '' } },
  ]);
  // An empty chunk between CR and LF does not make the LF a line end of its own.
  assert.deepEqual(parse(['data: a\r', '', '\n', 'data: b\n\n']), [
    { event: { type: 'message', data: 'a\nb', lastEventId: '' } },
  ]);
});

test('one leading BOM is dropped, in its own chunk or not; a second is kept', () => {
  const event = [{ event: { type: 'message', data: 'x', lastEventId: '' } }];
  assert.deepEqual(parse(['\uFEFFdata: x\n\n']), event);
  assert.deepEqual(parse(['\uFEFF', 'data: x\n\n']), event);
  // The second BOM belongs to the field name, "\uFEFFdata", which is unknown: no event.
  assert.deepEqual(parse(['\uFEFF\uFEFFdata: x\n\n']), []);
  // A BOM after the start is text, not a marker.
  assert.deepEqual(parse(['data: x\n\n', '\uFEFFdata: y\n\n']), event);
});

test('comments are reported apart and never become data', () => {
  assert.deepEqual(parse([': keep-alive\n', ':no space\n', 'data: a\n', ': inside\n', '\n']), [
    { comment: 'keep-alive' },
    { comment: 'no space' },
    { comment: 'inside' },
    { event: { type: 'message', data: 'a', lastEventId: '' } },
  ]);
});

test('an unterminated tail is dropped at the end of the stream', () => {
  const first = { event: { type: 'message', data: 'a', lastEventId: '' } };
  assert.deepEqual(parse(['data: a\n\n', 'data: b']), [first]);
  assert.deepEqual(parse(['data: a\n\n', 'data: b\n']), [first], 'a line, but no blank line');
  assert.deepEqual(parse(['data: a\n\n', 'data: b\r']), [first]);
  assert.deepEqual(parse(['data: a\n\nevent: x\ndata: b\n']), [first]);
});

test('a parser reused after end() starts clean', () => {
  const seen = [];
  const parser = new SseParser((event) => seen.push(event.data));
  parser.feed('data: half');
  parser.end();
  parser.feed('\uFEFFdata: whole\n\n');
  parser.end();
  assert.deepEqual(seen, ['whole']);
});

test('ids: a block with an id and no data sets the last event id and dispatches nothing', () => {
  const seen = [];
  const parser = new SseParser((event) => seen.push(event));
  // A resumable stream's priming block: an id to resume from before any event.
  parser.feed('id: s:0\n\n');
  assert.deepEqual(seen, []);
  assert.equal(parser.lastEventId, 's:0');
  parser.feed('data: a\nid: s:1\n\n: keep-alive\n\ndata: b\n\n');
  assert.deepEqual(seen.map((e) => [e.data, e.lastEventId]), [['a', 's:1'], ['b', 's:1']],
    'an id is kept across events and comments until another sets it');
  parser.feed('id: s:2\u0000x\ndata: c\n\n');
  assert.equal(seen.at(-1).lastEventId, 's:1', 'an id with NUL is ignored');
  parser.feed('data: d\nid: s:3\n');
  parser.end();
  assert.equal(parser.lastEventId, 's:1', "an unfinished block's id is not committed");
  parser.feed('data: e\n\n');
  assert.equal(seen.at(-1).lastEventId, 's:1', 'the last event id outlives end(), for a resume');
});
