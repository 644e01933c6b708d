// The TLS 1.3 record layer (RFC 8446 5): records cut out of the socket's byte stream, AES-GCM protection with
// the per-record nonce, the inner content type, and handshake messages reassembled across records (any size up
// to a bound) or several to a record.
import { BlockCipher } from "crypt";
import GCM from "gcm";
import { Alert, ProtocolError } from "tls/tls13/messages";
import { notTls } from "tls/report";

export const enum ContentType {
  changeCipherSpec = 20,
  alert = 21,
  handshake = 22,
  applicationData = 23,
}

/** The largest plaintext of one record (RFC 8446 5.1). */
export const MAX_PLAINTEXT = 16384;
/** The largest protected record body: plaintext, content type, padding and tag (RFC 8446 5.2). */
const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;

/** One direction's AEAD state: key, static IV and sequence number. */
export class RecordCipher {
  #gcm: GCM;
  #iv: Uint8Array;
  #sequence = 0;

  constructor(key: Uint8Array, iv: Uint8Array) {
    this.#gcm = new GCM(new BlockCipher("AES", key.slice().buffer as ArrayBuffer)); // the native cipher takes an ArrayBuffer only
    this.#iv = iv;
  }

  /** The per-record nonce: the IV XOR the 64-bit sequence number, as a fresh ArrayBuffer (the SDK's GCM concatenates it). */
  #nonce(): ArrayBuffer {
    const nonce = this.#iv.slice();
    for (let i = 11, n = this.#sequence++; n > 0 && i >= 4; i--, n = Math.floor(n / 256))
      nonce[i] ^= n & 0xff;
    return nonce.buffer as ArrayBuffer;
  }

  /** A whole protected record of `content` of `type` (content ≤ MAX_PLAINTEXT). */
  seal(type: number, content: Uint8Array): Uint8Array {
    const inner = new Uint8Array(content.length + 1);
    inner.set(content);
    inner[content.length] = type;
    const length = inner.length + 16;
    const header = Uint8Array.of(ContentType.applicationData, 3, 3, length >> 8, length & 0xff);
    const sealed = new Uint8Array(this.#gcm.process(inner, null, this.#nonce(), header.slice().buffer as ArrayBuffer, true));
    const record = new Uint8Array(5 + sealed.length);
    record.set(header);
    record.set(sealed, 5);
    return record;
  }

  /**
   * The content type and content of a protected record; a record that fails to authenticate is bad_record_mac.
   * Decrypted in place (the SDK's gcm.js does so when `buf` is `data`): `body` is overwritten and the content
   * is a view of it, so a 16 KB record costs one 16 KB buffer, not two (docs/memory.md).
   */
  open(header: Uint8Array, body: Uint8Array): { type: number; content: Uint8Array } {
    const plain = body.length > 16 ? this.#gcm.process(body, body, this.#nonce(), header.slice().buffer as ArrayBuffer, false) : undefined;
    if (!plain)
      throw new ProtocolError(Alert.badRecordMac, "a record failed to authenticate (bad_record_mac)");
    const inner = plain instanceof ArrayBuffer ? new Uint8Array(plain) : plain;
    let end = inner.length;
    while (end > 0 && inner[end - 1] === 0)
      end--;
    if (end === 0)
      throw new ProtocolError(Alert.unexpectedMessage, "a protected record has no content type");
    if (end - 1 > MAX_PLAINTEXT)
      throw new ProtocolError(Alert.recordOverflow, "a record's plaintext exceeds 16384 bytes");
    return { type: inner[end - 1], content: inner.subarray(0, end - 1) };
  }
}

/**
 * Cuts frames out of a stream of chunks: a fixed-size header, then a body of the length the header gives
 * (checked by `bodyLength`, which throws to refuse it). Each frame comes whole, header and body in one array.
 */
class Framer {
  readonly #header: Uint8Array;
  readonly #bodyLength: (header: Uint8Array) => number;
  #headerFill = 0;
  #frame: Uint8Array | undefined;
  #fill = 0;

  constructor(headerSize: number, bodyLength: (header: Uint8Array) => number) {
    this.#header = new Uint8Array(headerSize);
    this.#bodyLength = bodyLength;
  }

  /** Whether part of a frame is waiting for more bytes. */
  get partial(): boolean {
    return this.#headerFill > 0;
  }

  /** Feeds bytes; `onFrame` gets each whole frame and returns false to stop. Returns the bytes taken: all, or those up to the frame after which it stopped. */
  push(bytes: Uint8Array, onFrame: (frame: Uint8Array) => boolean): number {
    const size = this.#header.length;
    let at = 0;
    while (at < bytes.length) {
      if (!this.#frame) {
        const take = Math.min(size - this.#headerFill, bytes.length - at);
        this.#header.set(bytes.subarray(at, at + take), this.#headerFill);
        this.#headerFill += take;
        at += take;
        if (this.#headerFill < size)
          return at;
        this.#frame = new Uint8Array(size + this.#bodyLength(this.#header));
        this.#frame.set(this.#header);
        this.#fill = size;
      }
      const frame = this.#frame;
      const take = Math.min(frame.length - this.#fill, bytes.length - at);
      frame.set(bytes.subarray(at, at + take), this.#fill);
      this.#fill += take;
      at += take;
      if (this.#fill < frame.length)
        return at;
      this.#frame = undefined;
      this.#headerFill = 0;
      if (!onFrame(frame))
        return at;
    }
    return at;
  }
}

/** Cuts records out of the bytes the socket delivers: the 5-byte header, then a body of exactly its length. */
export class RecordReader {
  #framer = new Framer(5, (header) => {
    const length = (header[3] << 8) | header[4];
    if (header[0] < ContentType.changeCipherSpec || header[0] > ContentType.applicationData || header[1] !== 3)
      throw new ProtocolError(Alert.decodeError, notTls(header) ?? "the server's answer is not a TLS record"); // says so when it is plain HTTP
    if (length > MAX_CIPHERTEXT)
      throw new ProtocolError(Alert.recordOverflow, `a record of ${length} bytes exceeds the limit`);
    return length;
  });

  /** Feeds bytes; `onRecord` gets each whole record and returns false to stop. Returns the bytes taken (the rest is the caller's to keep or drop). */
  push(bytes: Uint8Array, onRecord: (header: Uint8Array, body: Uint8Array) => boolean): number {
    return this.#framer.push(bytes, (frame) => onRecord(frame.subarray(0, 5), frame.subarray(5)));
  }
}

/** Handshake messages out of handshake records: split when several share a record, joined when one spans records. */
export class HandshakeReassembler {
  #framer: Framer;

  /** `limit`: the largest handshake message accepted (a Certificate is the largest); `setting`: its name, for the reason. */
  constructor(limit: number, setting = "tls13.maxHandshakeMessage") {
    this.#framer = new Framer(4, (header) => {
      const length = (header[1] << 16) | (header[2] << 8) | header[3];
      if (length + 4 > limit)
        throw new ProtocolError(Alert.handshakeFailure, `a handshake message of ${length} bytes exceeds the limit of ${limit} (${setting})`);
      return length;
    });
  }

  /** Whether part of a message is waiting for the next record (it must not span a key change). */
  get partial(): boolean {
    return this.#framer.partial;
  }

  /** Each whole message (header included) of `fragment`, in order, to `onMessage`; it returns false to stop. */
  push(fragment: Uint8Array, onMessage: (message: Uint8Array) => boolean): void {
    if (!fragment.length)
      throw new ProtocolError(Alert.unexpectedMessage, "an empty handshake record");
    this.#framer.push(fragment, onMessage);
  }
}

/** A plaintext record (the ClientHello, an alert before keys): header and content. */
export function plainRecord(type: number, content: Uint8Array, version = 0x0303): Uint8Array {
  const record = new Uint8Array(5 + content.length);
  record[0] = type;
  record[1] = version >> 8;
  record[2] = version & 0xff;
  record[3] = content.length >> 8;
  record[4] = content.length & 0xff;
  record.set(content, 5);
  return record;
}
