// Redis strings in the simulation are byte strings: JS strings whose every char code is one byte
// (0-255, Node's 'latin1' decoding). Any bytes a client sends, valid UTF-8 or not, are kept as
// they are, as redis-server keeps them; a string's length is its byte count, and comparing two
// strings compares their bytes (memcmp order). These convert at the simulation's edges, where
// JS text (whose bytes are its UTF-8) or Buffers meet it. An ASCII string is both at once:
// nothing is converted then.

/** a char outside ASCII (in text: its UTF-8 bytes outnumber its UTF-16 units; in a byte string: a byte ≥ 0x80) */
export const NON_ASCII = /[^\x00-\x7f]/;

/** a JS text's UTF-8 bytes as a byte string (the text itself when ASCII) */
export function textBytes(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** what a byte string's bytes say as UTF-8 text (itself when ASCII); an invalid sequence reads as U+FFFD, as Buffer#toString reads it */
export function bytesText(bytes: string): string {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes;
}

/** a byte string's bytes */
export function bytesBuffer(bytes: string): Buffer {
  return Buffer.from(bytes, 'latin1');
}

/** bytes as a byte string */
export function bufferBytes(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** what C's "%s" prints of a byte string: up to its first NUL byte */
export function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** memcmp order of two byte strings (their char codes are their bytes) */
export function compareBytes(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
