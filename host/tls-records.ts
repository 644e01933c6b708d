// Plaintext TLS 1.2 records as they arrive on a socket, turned into whole handshake messages however the
// peer split them across records and TCP chunks. Used by the host `securesocket` (to read the chain a server
// sent) and by the tests' raw TLS server (to read a ClientHello).
export type Next = "more" | "stop";

export class HandshakeReader {
  #records = Buffer.alloc(0);    // bytes not yet a whole record
  #handshake = Buffer.alloc(0);  // handshake bytes not yet a whole message
  #stopped = false;

  /**
   * `onMessage(type, body)` gets each handshake message; `onRecord(type)` each record of another type.
   * Either returns "stop" to end reading (encrypted data follows, or the conversation is over).
   */
  constructor(
    private readonly onMessage: (type: number, body: Buffer) => Next | void,
    private readonly onRecord: (type: number) => Next | void,
    private readonly maxBuffered = 65536,
  ) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Feeds bytes; throws when more than `maxBuffered` bytes wait for a record or message to complete. */
  push(data: Buffer): void {
    if (this.#stopped)
      return;
    this.#records = Buffer.concat([this.#records, data]);
    if (this.#records.length + this.#handshake.length > this.maxBuffered)
      throw new Error("TLS records beyond the buffer bound");
    while (!this.#stopped && this.#records.length >= 5) {
      const length = this.#records.readUInt16BE(3);
      if (this.#records.length < 5 + length)
        return;
      const type = this.#records[0];
      const fragment = this.#records.subarray(5, 5 + length);
      this.#records = this.#records.subarray(5 + length);
      if (type === 22)
        this.#messages(fragment);
      else if (this.onRecord(type) === "stop")
        this.#stopped = true;
    }
  }

  #messages(fragment: Buffer): void {
    this.#handshake = Buffer.concat([this.#handshake, fragment]);
    while (!this.#stopped && this.#handshake.length >= 4) {
      const length = this.#handshake.readUIntBE(1, 3);
      if (this.#handshake.length < 4 + length)
        return;
      const type = this.#handshake[0];
      const body = this.#handshake.subarray(4, 4 + length);
      this.#handshake = this.#handshake.subarray(4 + length);
      if (this.onMessage(type, body) === "stop")
        this.#stopped = true;
    }
  }
}
