// Session tickets (RFC 8446 4.6.1) kept per origin for PSK resumption (psk_dhe_ke), bounded: a few origins,
// a few tickets each, tickets of bounded size, dropped when their lifetime is over or the server declines them.
// A fresh ticket is preferred; a ticket is used again (up to maxUses) only when no fresh one is left, because
// OpenSSL 3.0 servers (Node 20) issue two tickets after a full handshake and none after a resumption: with
// single use, every third connection would be a full handshake. RFC 8446 C.4 advises single use for privacy
// (reuse links connections of one client to a passive observer); maxUses: 1 restores it. Held in RAM only;
// nothing here traces (a ticket's PSK is a secret).
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
