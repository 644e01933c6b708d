// The one error base of the kit: a stable `code` to branch on and the `reason` in words, kept apart; the
// message joins them ("CODE: reason") for people and logs. Nothing parses a code back out of a message.

export class KitError<Code extends string = string> extends Error {
  override name = "KitError";
  readonly code: Code;
  /** The message without its code. */
  readonly reason: string;
  constructor(code: Code, reason: string) {
    super(`${code}: ${reason}`);
    this.code = code;
    this.reason = reason;
  }
}
