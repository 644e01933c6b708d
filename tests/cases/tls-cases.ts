// HTTPS against the TLS zoo (tools/tls-zoo.ts): what verification must refuse, with which code,
// and what it must accept. Both lanes; on the simulator it is the SDK's TLS stack with our ssl/cert and
// handshake checks, on Node it is OpenSSL running the handshake and our validator judging the chain.
import Timer from "timer";
import { HttpClient } from "http/client";
import type { TlsOptions } from "http/transport/secure-options";
import { assert, equal, rejects, type TestCase } from "./harness";
import { zooPort, zooValue, lane, fixturePort } from "./fixture";

const TIMEOUTS = { connect: 20000, headers: 20000 };

async function zoo(name: string, tls: TlsOptions = { ca: "fixture-ca.pem" }, path = "/"): Promise<string> {
  const client = new HttpClient();
  try {
    const response = await client.request(`https://localhost:${zooPort(name)}${path}`, { tls, timeouts: TIMEOUTS });
    return await response.text();
  }
  finally {
    client.close();
  }
}

/** GET / of the fixture HTTPS server (leaf ← intermediate ← root) with these TLS options. */
async function https(tls: TlsOptions): Promise<string> {
  const client = new HttpClient();
  try {
    return await (await client.request(`https://localhost:${fixturePort("Https")}/`, { tls, timeouts: TIMEOUTS })).text();
  }
  finally {
    client.close();
  }
}

function accepts(name: string, title: string, tls?: TlsOptions): TestCase {
  return {
    name: `tls accepts ${title}`,
    async run() {
      equal(await zoo(name, tls), `zoo ${name}`, "body");
    },
  };
}

function refuses(name: string, title: string, code: string, reason: string, tls?: TlsOptions): TestCase {
  return {
    name: `tls refuses ${title}: ${code}`,
    async run() {
      const error = await rejects(() => zoo(name, tls), code);
      assert(error.message.includes(reason), `reason should mention "${reason}": ${error.message}`);
      equal(error.phase, "tls", "phase");
    },
  };
}

/** Refused by the handshake checks: on the simulator ours (the reason names it), on Node OpenSSL's. */
function refusesHandshake(name: string, title: string, simReason: string): TestCase {
  return {
    name: `tls refuses ${title}: ERR_TLS_HANDSHAKE`,
    async run() {
      const error = await rejects(() => zoo(name), "ERR_TLS_HANDSHAKE");
      if (lane() === "sim")
        assert(error.message.includes(simReason), `reason should mention "${simReason}": ${error.message}`);
    },
  };
}

export const tlsCases: TestCase[] = [
  // valid servers
  accepts("ecdsa", "an ECDSA leaf under an RSA intermediate (ECDHE-ECDSA)"),
  accepts("static_rsa", "a server offering only static RSA key exchange"),
  accepts("out_of_order", "a chain of two intermediates sent out of order"),
  accepts("extras", "a chain with unrelated extra certificates"),
  accepts("self_signed", "a lone self-signed certificate configured as the trust anchor", { ca: "zoo-self-signed.pem" }),
  accepts("leaf_only", "a leaf sent alone when its intermediate is the configured anchor", { ca: "zoo-intermediate.pem" }),
  accepts("sha1_root", "a trust anchor whose own self-signature is SHA-1", { ca: "zoo-sha1-root.pem" }),
  accepts("wildcard", "*.example.test for a.example.test", { ca: "fixture-ca.pem", serverName: "a.example.test" }),
  accepts("ipv6", "an IPv6 iPAddress SAN for serverName ::1", { ca: "fixture-ca.pem", serverName: "::1" }),
  {
    name: "tls accepts an IPv4 iPAddress SAN when the URL's host is 127.0.0.1",
    async run() {
      const client = new HttpClient();
      const response = await client.request(`https://127.0.0.1:${fixturePort("Https")}/`, { tls: { ca: "fixture-ca.pem" }, timeouts: TIMEOUTS });
      equal(await response.text(), "hello over TLS", "body");
      client.close();
    },
  },

  // forged and mis-issued chains
  refuses("forged_intermediate", "a forged leaf sent with the genuine intermediate", "ERR_TLS_UNTRUSTED", "does not verify"),
  refuses("forged_root", "a forged leaf sent with a copy of the trusted root", "ERR_TLS_UNTRUSTED", "does not verify"),
  refuses("non_ca_issuer", "a leaf issued by another leaf (not a CA)", "ERR_TLS_UNTRUSTED", "not a CA"),
  refuses("path_length", "an intermediate under one whose pathLenConstraint is 0", "ERR_TLS_UNTRUSTED", "allows 0 CA"),
  refuses("client_eku", "a leaf whose extendedKeyUsage excludes serverAuth", "ERR_TLS_UNTRUSTED", "not for server authentication"),
  refuses("leaf_only", "a leaf sent without its intermediate (incomplete chain)", "ERR_TLS_UNTRUSTED", "did not send"),
  refuses("self_signed", "a self-signed certificate that is not a configured anchor", "ERR_TLS_UNTRUSTED", "no trusted root"),
  {
    name: "tls refuses a server whose root is not trusted, naming the issuer: ERR_TLS_UNTRUSTED",
    async run() {
      const client = new HttpClient();
      const error = await rejects(() => client.request(`https://localhost:${fixturePort("Stranger")}/`, { tls: { ca: "fixture-ca.pem" }, timeouts: TIMEOUTS }), "ERR_TLS_UNTRUSTED");
      client.close();
      assert(error.message.includes("netkit stranger root"), `names the issuer: ${error.message}`);
    },
  },

  // weak algorithms and keys
  refuses("md5_leaf", "an MD5-signed leaf", "ERR_TLS_WEAK", "MD5"),
  refuses("sha1_intermediate", "a SHA-1-signed intermediate", "ERR_TLS_WEAK", "SHA-1"),
  refuses("rsa512_leaf", "a leaf with a 512-bit RSA key", "ERR_TLS_WEAK", "512-bit"),
  refusesHandshake("dh1024", "a server that offers only DHE (with a 1024-bit group)", "alert 40"),

  // dates, at every position of the chain
  refuses("expired_leaf", "an expired leaf", "ERR_TLS_EXPIRED", "the server's certificate"),
  refuses("expired_intermediate", "an expired intermediate", "ERR_TLS_EXPIRED", "intermediate"),
  refuses("expired_root", "an expired trust anchor", "ERR_TLS_EXPIRED", "trust anchor", { ca: "zoo-expired-root.pem" }),
  refuses("future_leaf", "a leaf not yet valid", "ERR_TLS_NOT_YET_VALID", "the server's certificate"),
  refuses("future_intermediate", "an intermediate not yet valid", "ERR_TLS_NOT_YET_VALID", "intermediate"),
  refuses("future_root", "a trust anchor not yet valid", "ERR_TLS_NOT_YET_VALID", "trust anchor", { ca: "zoo-future-root.pem" }),

  // names
  refuses("wildcard", "*.example.test for a.b.example.test", "ERR_TLS_HOSTNAME", "*.example.test", { ca: "fixture-ca.pem", serverName: "a.b.example.test" }),
  refuses("wildcard", "*.example.test for example.test", "ERR_TLS_HOSTNAME", "not example.test", { ca: "fixture-ca.pem", serverName: "example.test" }),
  refuses("wildcard", "a partial-label wildcard f*.partial.test for foo.partial.test", "ERR_TLS_HOSTNAME", "f*.partial.test", { ca: "fixture-ca.pem", serverName: "foo.partial.test" }),
  refuses("ipv6", "an IPv6 SAN ::1 for serverName ::2", "ERR_TLS_HOSTNAME", "::1", { ca: "fixture-ca.pem", serverName: "::2" }),
  refuses("extras", "a valid chain for the wrong host name", "ERR_TLS_HOSTNAME", "localhost, 127.0.0.1", { ca: "fixture-ca.pem", serverName: "wrong.example.test" }),
  {
    name: "tls refuses a certificate whose only match is its CN (CN=127.0.0.1, SAN other.test): ERR_TLS_HOSTNAME",
    async run() {
      const client = new HttpClient();
      const error = await rejects(() => client.request(`https://127.0.0.1:${zooPort("cn_only")}/`, { tls: { ca: "fixture-ca.pem" }, timeouts: TIMEOUTS }), "ERR_TLS_HOSTNAME");
      client.close();
      assert(error.message.includes("other.test, not 127.0.0.1"), error.message);
    },
  },

  // the handshake itself
  refusesHandshake("ske_unsigned", "a ServerKeyExchange without a signature", "ServerKeyExchange is not signed"),
  refusesHandshake("ske_sigalg_zero", "a ServerKeyExchange with signature algorithm 0 (anonymous)", "ServerKeyExchange is not signed"),
  refusesHandshake("ske_hash_zero", "a ServerKeyExchange with hash 0", "without SHA-256"),
  refusesHandshake("ske_other_key", "a ServerKeyExchange signed by a key other than the certificate's", "does not verify"),
  {
    name: "tls: the raw test server's correct ServerKeyExchange passes the checks (control for the four above)",
    async run() {
      // It stops after the ClientKeyExchange with an alert: reaching that point proves the exchange was accepted.
      const error = await rejects(() => zoo("ske_none"), "ERR_TLS_HANDSHAKE");
      assert(!error.message.includes("ServerKeyExchange"), `not refused at the ServerKeyExchange: ${error.message}`);
    },
  },
  refusesHandshake("tls10", "a TLS 1.0-only server by default", "below the minimum"),
  refuses("hangup", "a server that closes during the handshake", "ERR_TLS_HANDSHAKE", "closed the connection during the TLS handshake"),
  refuses("alert", "a server that answers with a fatal alert", "ERR_TLS_HANDSHAKE", "alert"),
  // the wrong scheme for the port, told apart from other failures
  {
    name: "tls: an https:// URL to a plain HTTP port fails with ERR_TLS_HANDSHAKE saying the server answered in plain HTTP",
    async run() {
      const client = new HttpClient();
      try {
        // the probe fixture is Node's http server: it answers the ClientHello with "HTTP/1.1 400 Bad Request"
        const error = await rejects(() => client.request(`https://127.0.0.1:${fixturePort("Probe")}/`, { tls: { verify: false }, timeouts: TIMEOUTS }), "ERR_TLS_HANDSHAKE");
        assert(error.message.includes("not speaking TLS: it answered in plain HTTP"), error.message);
      }
      finally {
        client.close();
      }
    },
  },
  {
    name: "http:// to a server that answers with a TLS record fails with ERR_INVALID_RESPONSE: the server answered with TLS, use https://",
    async run() {
      const client = new HttpClient();
      try {
        const error = await rejects(() => client.request(`http://127.0.0.1:${zooPort("alert")}/`, { timeouts: TIMEOUTS }), "ERR_INVALID_RESPONSE");
        assert(error.message.includes("the server answered with TLS: use https://"), error.message);
      }
      finally {
        client.close();
      }
    },
  },
  {
    name: "http:// to an HTTPS server that closes without answering fails with ERR_TRUNCATED asking whether the URL is https://",
    async run() {
      const client = new HttpClient();
      try {
        const error = await rejects(() => client.request(`http://127.0.0.1:${fixturePort("Https")}/`, { timeouts: TIMEOUTS }), "ERR_TRUNCATED");
        assert(error.message.includes("is the URL https://?"), error.message);
      }
      finally {
        client.close();
      }
    },
  },
  // defaults: config.certs as the anchors, and the SDK's session cache between connections that use them
  {
    name: "tls: without a tls option the request is verified against config.certs",
    async run() {
      const client = new HttpClient();
      equal(await (await client.request(`https://localhost:${fixturePort("Https")}/`, { timeouts: TIMEOUTS })).text(), "hello over TLS", "body");
      await rejects(() => client.request(`https://localhost:${fixturePort("Stranger")}/`, { timeouts: TIMEOUTS }), "ERR_TLS_UNTRUSTED");
      client.close();
    },
  },
  {
    name: "tls session resumption (TLS 1.2, the SDK's session cache): a new connection with the default trust resumes the session; one with its own ca does not",
    async run() {
      type Stats = { connections: number; resumed: number };
      const stats = async (tls?: TlsOptions): Promise<{ stats: Stats; tlsMs: number }> => {
        const client = new HttpClient(); // a new client: a new connection
        // TLS 1.3 tickets have their own cases (tls13-client, tls13-sim): kept per pool key, so the same ca's earlier connections in this run may be resumed
        const response = await client.request(`https://localhost:${fixturePort("Https")}/stats`, { tls: { ...tls, maxVersion: "TLSv1.2" }, timeouts: TIMEOUTS });
        const result = { stats: await response.json() as Stats, tlsMs: response.timings.tls };
        client.close();
        return result;
      };
      const first = await stats();
      const second = await stats();
      equal(second.stats.connections, first.stats.connections + 1, "a new connection");
      equal(second.stats.resumed, first.stats.resumed + 1, "resumed sessions");
      const own = await stats({ ca: "fixture-ca.pem" });
      equal(own.stats.resumed, second.stats.resumed, "resumed sessions after a connection with its own ca");
      trace(`tls session resumption: handshake ${first.tlsMs} ms, resumed ${second.tlsMs} ms, with its own ca ${own.tlsMs} ms\n`);
    },
  },

  // options that change the handshake, and options that are wrong
  {
    name: "tls: an ALPN offer (http/1.1) still connects",
    async run() {
      equal(await https({ ca: "fixture-ca.pem", alpn: "http/1.1" }), "hello over TLS", "body");
    },
  },
  {
    name: "tls: a max_fragment_length request (4096) still connects (the server may ignore it)",
    async run() {
      equal(await https({ ca: "fixture-ca.pem", maxFragmentLength: 4096 }), "hello over TLS", "body");
    },
  },
  {
    name: "tls: a missing ca resource, a bad minVersion or a key without certificate is ERR_INVALID_REQUEST, nothing sent",
    async run() {
      const client = new HttpClient();
      const url = `https://localhost:${fixturePort("Https")}/`;
      const missing = await rejects(() => client.request(url, { tls: { ca: "no-such-root.pem" } }), "ERR_INVALID_REQUEST");
      assert(missing.message.includes("no-such-root.pem"), missing.message);
      await rejects(() => client.request(url, { tls: { minVersion: "SSLv3" as "TLSv1" } }), "ERR_INVALID_REQUEST");
      await rejects(() => client.request(url, { tls: { clientKey: "zoo-device-key.pem" } }), "ERR_INVALID_REQUEST");
      client.close();
    },
  },

  // client certificates
  refusesHandshake("client_auth", "a server that asks for a client certificate when none is configured", "none is configured"),
  accepts("client_auth", "a client certificate and key from PEM resources (mutual TLS)", { ca: "fixture-ca.pem", clientCertificate: "zoo-device.pem", clientKey: "zoo-device-key.pem" }),

  // encrypt-only: the chapter's CERT_NONE
  accepts("expired_leaf", "an expired leaf with verify false", { verify: false }),
  accepts("forged_root", "a forged chain with verify false", { verify: false }),
  accepts("wildcard", "a name mismatch with verify false", { verify: false, serverName: "nothing.else.test" }),

  // a reader slower than the records (the connection holds TLS reads while it is behind: http/transport/connection)
  {
    name: "https: a slow for-await reader of 64 KB in 16 KB records gets every byte, kept alive or closed by the server, and the pooled connection serves the next request (TLS 1.3, then 1.2)",
    async run() {
      for (const maxVersion of ["TLSv1.3", "TLSv1.2"] as const) // our 1.3 socket holds by itself; the SDK's 1.2 through its TCP socket
        await slowReader(maxVersion);
    },
  },
];

/** GETs 64 KB in 16 KB records three times on one client (kept alive, closed by the server, kept alive), reading slower than they come. */
async function slowReader(maxVersion: "TLSv1.2" | "TLSv1.3"): Promise<void> {
  const client = new HttpClient();
  const options = { tls: { ca: "fixture-ca.pem", maxVersion }, timeouts: TIMEOUTS };
  try {
    for (const path of ["/64k", "/64k-close", "/64k"]) {
      const response = await client.request(`https://localhost:${fixturePort("Https")}${path}`, options);
      let received = 0;
      let chunks = 0;
      for await (const chunk of response.body) {
        received += chunk.length;
        if (++chunks % 8 === 0) // behind the socket: a record arrives while the reader waits
          await new Promise((resolve) => Timer.set(resolve, 20));
      }
      equal(received, 65536, `${maxVersion} ${path}: body bytes`);
    }
    equal(await (await client.request(`https://localhost:${fixturePort("Https")}/`, options)).text(), "hello over TLS", `${maxVersion}: the next request`);
  }
  finally {
    client.close();
  }
}

/** Pins of the fixture HTTPS server's keys (leaf ← intermediate ← root), computed by the zoo. */
const pins = {
  get leaf() { return zooValue("pin_leaf"); },
  get intermediate() { return zooValue("pin_intermediate"); },
  get other() { return zooValue("pin_other"); },
};

export const pinCases: TestCase[] = pinTests();

function pinTests(): TestCase[] {
  return [
    {
      name: "tls pins: the leaf's key pinned connects",
      async run() {
        equal(await https({ ca: "fixture-ca.pem", pins: [pins.leaf] }), "hello over TLS", "body");
      },
    },
    {
      name: "tls pins: a wrong pin fails with ERR_TLS_PIN listing the server's keys",
      async run() {
        const error = await rejects(() => https({ ca: "fixture-ca.pem", pins: [pins.other] }), "ERR_TLS_PIN");
        assert(error.message.includes(pins.leaf), error.message);
      },
    },
    {
      name: "tls pins: a backup pin (the intermediate's key) passes when the first does not match",
      async run() {
        equal(await https({ ca: "fixture-ca.pem", pins: [pins.other, pins.intermediate] }), "hello over TLS", "body");
      },
    },
    {
      name: "tls pins: still checked with verify false, against the leaf only",
      async run() {
        equal(await https({ verify: false, pins: [pins.leaf] }), "hello over TLS", "leaf pin");
        await rejects(() => https({ verify: false, pins: [pins.intermediate] }), "ERR_TLS_PIN");
      },
    },
  ];
}
