// Session tickets (RFC 8446 4.6.1) kept per origin for PSK resumption (psk_dhe_ke), bounded: a few origins,
// a few tickets each, tickets of bounded size, dropped when their lifetime is over or the server declines them.
// A fresh ticket is preferred; a ticket is used again (up to maxUses) only when no fresh one is left, because
// OpenSSL 3.0 servers (Node 20) issue two tickets after a full handshake and none after a resumption: with
// single use, every third connection would be a full handshake. RFC 8446 C.4 advises single use for privacy
// (reuse links connections of one client to a passive observer); maxUses: 1 restores it. Held in RAM;
// serialize()/restore() carry the live tickets through a reboot when the app asks (tls/tls13/ticket-preference).
// Nothing here traces (a ticket's PSK is a secret).
import type { HashName } from "tls/tls13/key-schedule";

export interface Ticket {
  /** The opaque ticket, sent back as the PSK identity. */
  ticket: Uint8Array;
  /** The resumption PSK derived from the connection's resumption_master_secret and the ticket nonce. */
  psk: Uint8Array;
  /** The hash of the cipher suite it was issued under: only a suite with that hash may resume it. */
  hash: HashName;
  ageAdd: number;
  /** Date.now() when received. */
  received: number;
  /** Seconds, at most 7 days. */
  lifetime: number;
  /** Connections that offered it so far. */
  uses?: number;
}

export interface TicketStoreOptions {
  /** Origins remembered (least recently used dropped first). Default 4. */
  origins?: number;
  /** Tickets kept per origin (oldest dropped first). Default 2. */
  perOrigin?: number;
  /** Tickets larger than this are not kept. Default 1024 bytes. */
  maxTicketBytes?: number;
  /** Connections one ticket may resume. Default 8; 1 for single use (RFC 8446 C.4). */
  maxUses?: number;
}

const WEEK = 604800;
/** serialize()'s format, and the fixed part of each ticket in it: hash, uses, ageAdd, received, lifetime, lengths. */
const FORMAT = 1;
const TICKET_FIXED = 21;

/** An origin ("host:port|key") as bytes: ASCII only (host names are in their A-label form); other text is left out. */
function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127)
      return new Uint8Array(256); // too long: left out by serialize()
    out[i] = c;
  }
  return out;
}

export class TicketStore {
  readonly #origins: number;
  readonly #perOrigin: number;
  readonly #maxTicketBytes: number;
  readonly #maxUses: number;
  #byOrigin: Map<string, Ticket[]> | undefined; // made on first use: a Map made while preloaded would be frozen

  constructor(options: TicketStoreOptions = {}) {
    this.#origins = Math.max(1, options.origins ?? 4);
    this.#perOrigin = Math.max(1, options.perOrigin ?? 2);
    this.#maxTicketBytes = options.maxTicketBytes ?? 1024;
    this.#maxUses = Math.max(1, options.maxUses ?? 8);
  }

  /** Keeps a ticket for `origin`; too large or lifetime 0: ignored. */
  add(origin: string, ticket: Ticket): void {
    if (ticket.ticket.length > this.#maxTicketBytes || ticket.lifetime === 0)
      return;
    ticket.lifetime = Math.min(ticket.lifetime, WEEK);
    const map = this.#byOrigin ??= new Map();
    const list = map.get(origin) ?? [];
    map.delete(origin); // re-inserted last: most recently used
    list.push(ticket);
    while (list.length > this.#perOrigin)
      list.shift();
    map.set(origin, list);
    for (const oldest of map.keys()) {
      if (map.size <= this.#origins)
        break;
      map.delete(oldest);
    }
  }

  /**
   * A live ticket of `origin` to offer: the least used, the newest of those. Counted as used; dropped once
   * used maxUses times. undefined when none.
   */
  take(origin: string, now = Date.now()): Ticket | undefined {
    const list = this.#byOrigin?.get(origin);
    if (!list)
      return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const age = now - list[i].received;
      if (age < 0 || age >= list[i].lifetime * 1000)
        list.splice(i, 1);
    }
    let best: Ticket | undefined;
    for (const ticket of list) {
      if (!best || (ticket.uses ?? 0) <= (best.uses ?? 0))
        best = ticket;
    }
    if (best) {
      best.uses = (best.uses ?? 0) + 1;
      if (best.uses >= this.#maxUses)
        this.discard(origin, best);
    }
    return best;
  }

  /** Drops a ticket (the server declined it). */
  discard(origin: string, ticket: Ticket): void {
    const list = this.#byOrigin?.get(origin);
    const at = list?.indexOf(ticket) ?? -1;
    if (at >= 0)
      list!.splice(at, 1);
  }

  /** Forgets the tickets of `origin`, or all. */
  clear(origin?: string): void {
    if (origin === undefined)
      this.#byOrigin = undefined;
    else
      this.#byOrigin?.delete(origin);
  }

  /**
   * The live tickets as bytes (tls/tls13/ticket-preference keeps them through a reboot), at most `maxBytes`:
   * the most recently used origins first, each with its tickets, the newest first; what does not fit is left
   * out. The bytes hold each ticket's PSK: a secret.
   */
  serialize(maxBytes: number, now = Date.now()): Uint8Array {
    const out = new Uint8Array(maxBytes);
    const view = new DataView(out.buffer);
    let at = 2; // [0] format, [1] origins written
    const origins = Array.from(this.#byOrigin?.entries() ?? []).reverse();
    let written = 0;
    for (const [origin, list] of origins) {
      const name = ascii(origin);
      const live = list.filter((t) => now >= t.received && now - t.received < t.lifetime * 1000).reverse();
      if (!live.length || name.length > 255)
        continue;
      let size = 2 + name.length;
      const fitting: Ticket[] = [];
      for (const t of live) {
        const bytes = TICKET_FIXED + t.ticket.length + t.psk.length;
        if (at + size + bytes > maxBytes)
          break;
        size += bytes;
        fitting.push(t);
      }
      if (!fitting.length)
        break;
      out[at] = name.length;
      out.set(name, at + 1);
      at += 1 + name.length;
      out[at++] = fitting.length;
      for (const t of fitting) {
        out[at] = t.hash === "SHA384" ? 1 : 0;
        out[at + 1] = Math.min(t.uses ?? 0, 255);
        view.setUint32(at + 2, t.ageAdd >>> 0);
        view.setFloat64(at + 6, t.received);
        view.setUint32(at + 14, t.lifetime);
        view.setUint16(at + 18, t.ticket.length);
        out[at + 20] = t.psk.length;
        out.set(t.ticket, at + TICKET_FIXED);
        out.set(t.psk, at + TICKET_FIXED + t.ticket.length);
        at += TICKET_FIXED + t.ticket.length + t.psk.length;
      }
      written++;
    }
    out[0] = FORMAT;
    out[1] = written;
    return out.slice(0, at);
  }

  /**
   * Takes back what serialize() wrote: tickets expired by `now`, or with a receipt time after it (a clock not
   * yet set), are left out, and the store's bounds apply. Malformed bytes add nothing. Returns the live tickets read.
   */
  restore(bytes: Uint8Array, now = Date.now()): number {
    if (bytes.length < 2 || bytes[0] !== FORMAT)
      return 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const taken: [string, Ticket[]][] = []; // most recently used origin first, each origin's tickets oldest first
    let at = 2;
    try {
      for (let o = 0; o < bytes[1]; o++) {
        const nameLength = bytes[at];
        let origin = "";
        for (let i = at + 1; i < at + 1 + nameLength; i++)
          origin += String.fromCharCode(bytes[i]);
        at += 1 + nameLength;
        const count = bytes[at++];
        const tickets: Ticket[] = [];
        for (let i = 0; i < count; i++) {
          if (at + TICKET_FIXED > bytes.length)
            return 0;
          const ticketLength = view.getUint16(at + 18);
          const pskLength = bytes[at + 20];
          const end = at + TICKET_FIXED + ticketLength + pskLength;
          if (end > bytes.length)
            return 0;
          tickets.push({
            hash: bytes[at] === 1 ? "SHA384" : "SHA256",
            uses: bytes[at + 1],
            ageAdd: view.getUint32(at + 2),
            received: view.getFloat64(at + 6),
            lifetime: view.getUint32(at + 14),
            ticket: bytes.slice(at + TICKET_FIXED, at + TICKET_FIXED + ticketLength),
            psk: bytes.slice(at + TICKET_FIXED + ticketLength, end),
          });
          at = end;
        }
        taken.push([origin, tickets.reverse()]); // oldest first, as they were added
      }
    }
    catch {
      return 0; // read past the end: malformed
    }
    let added = 0;
    for (const [origin, tickets] of taken.reverse()) { // least recently used origin first: the last added is the most recent
      for (const ticket of tickets) {
        if (now < ticket.received || now - ticket.received >= ticket.lifetime * 1000)
          continue;
        this.add(origin, ticket);
        added++;
      }
    }
    return added;
  }

  /** Tickets held, all origins together. */
  get size(): number {
    let count = 0;
    for (const list of this.#byOrigin?.values() ?? [])
      count += list.length;
    return count;
  }
}

let shared: TicketStore | undefined;

/** The store connections use unless their options name another (or false). */
export function sharedTicketStore(): TicketStore {
  return shared ??= new TicketStore();
}

/** obfuscated_ticket_age (RFC 8446 4.2.11.1): ms since receipt plus ageAdd, mod 2^32. */
export function obfuscatedAge(ticket: Ticket, now = Date.now()): number {
  return ((now - ticket.received) + ticket.ageAdd) % 0x100000000;
}
