// Session tickets (RFC 8446 4.6.1) kept per origin for PSK resumption (psk_dhe_ke), bounded: a few origins,
// a few tickets each, tickets of bounded size, dropped when their lifetime is over or the server declines them.
// A fresh ticket is preferred; a ticket is used again (up to maxUses) only when no fresh one is left, because
// OpenSSL 3.0 servers (Node 20) issue two tickets after a full handshake and none after a resumption: with
// single use, every third connection would be a full handshake. RFC 8446 C.4 advises single use for privacy
// (reuse links connections of one client to a passive observer); maxUses: 1 restores it. Held in RAM;
// serialize()/restore() carry the live tickets through a reboot when the app asks (tls/tls13/ticket-preference).
// Nothing here traces (a ticket's PSK is a secret).
import type { HashName } from "tls/tls13/key-schedule";
import { Reader } from "tls/tls13/messages";

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
/** serialize()'s format. */
const FORMAT = 1;
/** The fixed part of each ticket in it: hash, uses, ageAdd, received, lifetime, and its two length prefixes. */
const TICKET_FIXED = 21;

/** Whether `ticket` may still be offered at `now`: received, by this clock, and not past its lifetime. */
function isLive(ticket: Ticket, now: number): boolean {
  const age = now - ticket.received;
  return age >= 0 && age < ticket.lifetime * 1000;
}

/** An origin ("host:port|key") as bytes, for serialize(): ASCII only (host names are in their A-label form), else undefined. */
function originBytes(text: string): Uint8Array | undefined {
  if (text.length > 255)
    return undefined;
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127)
      return undefined;
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
    for (let i = list.length - 1; i >= 0; i--)
      if (!isLive(list[i], now))
        list.splice(i, 1);
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
   * out. The bytes hold each ticket's PSK: a secret. Layout: format, origin count, then per origin its name
   * (1-byte length) and ticket count, per ticket hash (0 SHA-256, 1 SHA-384), uses, ageAdd, received (two
   * 32-bit halves), lifetime, the ticket (2-byte length) and the PSK (1-byte length).
   */
  serialize(maxBytes: number, now = Date.now()): Uint8Array {
    const out = new Uint8Array(maxBytes);
    const view = new DataView(out.buffer);
    let at = 2;
    let written = 0;
    for (const [origin, list] of Array.from(this.#byOrigin?.entries() ?? []).reverse()) {
      const name = originBytes(origin);
      const live = list.filter((t) => isLive(t, now)).reverse();
      if (!name || !live.length)
        continue;
      if (at + 2 + name.length + TICKET_FIXED + live[0].ticket.length + live[0].psk.length > maxBytes)
        break; // not even this origin's newest ticket fits
      out[at] = name.length;
      out.set(name, at + 1);
      at += 1 + name.length;
      const countAt = at++;
      let count = 0;
      for (const t of live) {
        if (at + TICKET_FIXED + t.ticket.length + t.psk.length > maxBytes)
          break;
        out[at] = t.hash === "SHA384" ? 1 : 0;
        out[at + 1] = Math.min(t.uses ?? 0, 255);
        view.setUint32(at + 2, t.ageAdd >>> 0);
        view.setUint32(at + 6, Math.floor(t.received / 0x100000000));
        view.setUint32(at + 10, t.received >>> 0);
        view.setUint32(at + 14, t.lifetime);
        view.setUint16(at + 18, t.ticket.length);
        out.set(t.ticket, at + 20);
        at += 20 + t.ticket.length;
        out[at] = t.psk.length;
        out.set(t.psk, at + 1);
        at += 1 + t.psk.length;
        count++;
      }
      out[countAt] = count;
      written++;
    }
    out[0] = FORMAT;
    out[1] = written;
    return out.slice(0, at);
  }

  /**
   * Takes back what serialize() wrote: tickets not live at `now` (expired, or received after it: a clock not
   * yet set) are left out, and the store's bounds apply. Malformed bytes add nothing. Returns the live tickets read.
   */
  restore(bytes: Uint8Array, now = Date.now()): number {
    const taken: [string, Ticket[]][] = []; // most recently used origin first, each origin's tickets newest first
    try {
      const r = new Reader(bytes, "saved tickets");
      if (r.u8() !== FORMAT)
        return 0;
      for (let origins = r.u8(); origins > 0; origins--) {
        let origin = "";
        for (const c of r.vector(1)) // one by one: a spread would take a stack slot per byte
          origin += String.fromCharCode(c);
        const tickets: Ticket[] = [];
        for (let count = r.u8(); count > 0; count--) {
          const hash = r.u8() === 1 ? "SHA384" : "SHA256";
          const uses = r.u8();
          const ageAdd = r.u32();
          const received = r.u32() * 0x100000000 + r.u32();
          const lifetime = r.u32();
          tickets.push({ hash, uses, ageAdd, received, lifetime, ticket: r.vector(2).slice(), psk: r.vector(1).slice() });
        }
        taken.push([origin, tickets]);
      }
      r.finish();
    }
    catch {
      return 0; // read past the end, or bytes after it: not what serialize() wrote
    }
    let added = 0;
    for (const [origin, tickets] of taken.reverse()) // least recently used origin first, its oldest ticket first: add() keeps the order
      for (const ticket of tickets.reverse())
        if (isLive(ticket, now)) {
          this.add(origin, ticket);
          added++;
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
