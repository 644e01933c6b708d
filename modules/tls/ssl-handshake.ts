// The SDK's TLS handshake (modules/crypt/ssl/ssl_handshake.js, mapped to `ssl/sdk-handshake` by our
// manifest) with the checks it skips, mapped as `ssl/handshake` so the SDK's record layer and Session use
// it. The dispatcher and four message handlers differ; everything else is the SDK's own object.
//   unpacketize (the dispatcher the SDK's record layer, ssl_record.js, calls for each handshake record): the
//     SDK reads each record on its own, so a message longer than its record (a Certificate over 16 KB) fails
//     reading past the record's end. Here the record's bytes go through a reassembler (tls/tls13/record's)
//     that hands the SDK each message whole, buffered in one array of the message's size, released once it
//     is handled; a message over `secure.maxHandshakeMessage` (default 32 KB) is refused before buffering.
//   ClientHello (client side): the SDK offers only secp256r1 and SHA-256 signatures. Here the default
//     supported_groups are secp256r1 and secp384r1 (a server with a P-384 certificate answers alert 40
//     otherwise; the SDK's ClientKeyExchange and Curve handle P-384), and signature_algorithms add SHA-384
//     (ECDSA, RSA) and SHA-512 (RSA). `secure.tls_elliptic_curves` / `tls_signature_algorithms` still win.
//   ServerKeyExchange: the SDK verifies its signature only when hash, algorithm and signature are all
//     present, so a server without the certificate's key could send none and be accepted. Here the
//     signature is required, by the leaf's key, SHA-256/384/512 with RSA or ECDSA matching that key, and
//     the server's point must lie on the curve. Only ECDHE is accepted (DHE is off in our manifest's tls config).
//   ServerHello: a version below the minimum makes the SDK answer with an alert yet report the handshake
//     complete; here it fails.
//   CertificateRequest when no client certificate is configured: the SDK answers with an empty Certificate
//     and the VM then dies (on the simulator: JavaScript stack overflow at 384 and 512 slots, a crash at
//     8192); here the handshake fails with the reason. A server that only asks for a certificate
//     (optional client auth) is refused too.
//   ClientHello and ServerHello (server side, docs/server.md): the SDK digests the handshake messages
//     buffered before the hello when it reads one, and a server has buffered none: its ClientHello handler
//     throws reading `undefined`. Here an empty buffer stands in; the SDK then digests the ClientHello
//     itself. And its ServerHello has no extensions, so OpenSSL 3 clients refuse it ("unsafe legacy
//     renegotiation disabled"): when the client signals RFC 5746 (the renegotiation_info extension or the
//     SCSV), ours carries the empty renegotiation_info (the SDK never renegotiates).
import sdk from "ssl/sdk-handshake";
import SSLStream from "ssl/stream";
import TLSError from "ssl/error";
import { ECDHE_RSA } from "ssl/constants";
import { verifySignature } from "tls/signature";
import type { Hash } from "tls/signature";
import { report } from "tls/report";
import type { TlsReport } from "tls/report";
import { parseCertificate } from "tls/der";
import { TlsError } from "tls/error";
import { HandshakeReassembler } from "tls/tls13/record";
import { onCurve } from "tls/tls13/key-share";
import { downgradeSentinel } from "tls/tls13/messages";

interface Stream {
  readChar(): number;
  readChars(n: number): number;
  /** `reference`: a view of the stream's bytes (a Uint8Array), not a copy. */
  readChunk(n: number, reference?: boolean): ArrayBuffer;
}
interface Session {
  chosenCipher: { keyExchangeAlgorithm: number };
  options: { tls_elliptic_curves: readonly number[]; report?: TlsReport; maxHandshakeMessage?: number; tls13Fallback?: boolean };
  clientRandom: ArrayBuffer;
  serverRandom: ArrayBuffer;
  peerCert?: ArrayBuffer;
  dhparams?: { named_curve: number; dh_Ys: ArrayBuffer };
  alert?: { level: number; description: number };
  clientCerts?: unknown[];
  traceProtocol(protocol: object): void;
  /** Ours: the handshake message being reassembled across records. */
  netkitReassembler?: HandshakeReassembler;
}
interface Handler {
  name: string;
  unpacketize(this: Handler, session: Session, s: Stream): unknown;
}

const HASHES: Record<number, Hash> = { 4: "SHA256", 5: "SHA384", 6: "SHA512" };
const RSA_SIGNATURE = 1;
const ECDSA_SIGNATURE = 3;

/** The largest handshake message accepted unless `secure.maxHandshakeMessage` says otherwise, header included. */
const MAX_HANDSHAKE_MESSAGE = 32768;

/**
 * The dispatcher, for each handshake record: its bytes go to the session's reassembler, and each whole
 * message to the SDK's dispatcher (which reads the header, calls the handler through `this`, digests it).
 * The reassembler lives only while a message is partial.
 */
function unpacketize(this: object, session: Session, s: Stream & { bytesAvailable: number }): void {
  const reassembler = session.netkitReassembler ?? new HandshakeReassembler(session.options.maxHandshakeMessage ?? MAX_HANDSHAKE_MESSAGE, "secure.maxHandshakeMessage");
  const fragment = s.readChunk(s.bytesAvailable, true) as unknown as Uint8Array; // the record's bytes, not copied
  try {
    reassembler.push(fragment, (message) => {
      sdk.unpacketize.call(this, session, new SSLStream(message));
      return true;
    });
  }
  catch (error) {
    if (error instanceof TlsError) // the reassembler's limit: the SDK would only see a bare exception
      report(session.options, error.code, error.reason);
    throw error;
  }
  if (reassembler.partial)
    session.netkitReassembler = reassembler;
  else
    delete session.netkitReassembler;
}

/** supported_groups: secp256r1, secp384r1 (RFC 8422 5.1.1). */
const GROUPS = Object.freeze([23, 24]);
/** signature_algorithms (RFC 5246 7.4.1.4.1), SHA-256 first as the SDK has them. */
const SIGNATURE_ALGORITHMS = Object.freeze([
  { hash: 4, sig: ECDSA_SIGNATURE }, { hash: 4, sig: RSA_SIGNATURE },
  { hash: 5, sig: ECDSA_SIGNATURE }, { hash: 5, sig: RSA_SIGNATURE }, { hash: 6, sig: RSA_SIGNATURE },
].map((algorithm) => Object.freeze(algorithm)));

function refuse(session: Session, reason: string): never {
  report(session.options, "ERR_TLS_HANDSHAKE", reason);
  throw new TLSError(reason);
}

const serverKeyExchange: Handler = {
  ...sdk.serverKeyExchange,
  unpacketize(session, s) {
    session.traceProtocol(this);
    if (session.chosenCipher.keyExchangeAlgorithm !== ECDHE_RSA)
      refuse(session, "ServerKeyExchange for a key exchange other than ECDHE");
    const curveType = s.readChar();
    const curve = s.readChars(2);
    if (curveType !== 3 || !session.options.tls_elliptic_curves.includes(curve))
      refuse(session, `ServerKeyExchange with an unsupported curve (${curveType}/${curve})`);
    const length = s.readChar();
    const point = s.readChunk(length);
    const hash = HASHES[s.readChar()];
    const algorithm = s.readChar();
    const signatureLength = s.readChars(2);
    if (!signatureLength)
      refuse(session, "ServerKeyExchange is not signed: the server did not prove it holds the certificate's key");
    const signature = new Uint8Array(s.readChunk(signatureLength));
    if (!onCurve(curve, new Uint8Array(point)))
      refuse(session, "ServerKeyExchange: the server's ECDHE key is not a point on the curve");
    if (!hash)
      refuse(session, "ServerKeyExchange signed without SHA-256, SHA-384 or SHA-512");
    const leaf = session.peerCert;
    if (!leaf)
      refuse(session, "ServerKeyExchange before the server's certificate");
    const key = parseCertificate(leaf).key;
    const kind = algorithm === RSA_SIGNATURE && key.type === "rsa" ? "rsa" : algorithm === ECDSA_SIGNATURE && key.type === "ec" ? "ecdsa" : undefined;
    if (!kind)
      refuse(session, `ServerKeyExchange signed with algorithm ${algorithm}, which does not fit the certificate's ${key.type} key`);
    // signed: client_random ‖ server_random ‖ ServerECDHParams (RFC 8422 5.4)
    const signed = new Uint8Array(64 + 4 + length);
    signed.set(new Uint8Array(session.clientRandom), 0);
    signed.set(new Uint8Array(session.serverRandom), 32);
    signed.set([curveType, curve >> 8, curve & 0xff, length], 64);
    signed.set(new Uint8Array(point), 68);
    if (!verifySignature(new Uint8Array(leaf), kind, hash, signed, signature))
      refuse(session, "ServerKeyExchange signature does not verify with the certificate's key: the server does not hold it");
    session.dhparams = { named_curve: curve, dh_Ys: point };
  },
};

const certificateRequest: Handler = {
  ...sdk.certificateRequest,
  unpacketize(session, s) {
    const result = sdk.certificateRequest.unpacketize.call(this, session, s);
    if (!session.clientCerts?.length)
      refuse(session, "the server asks for a client certificate and none is configured (tls.clientCertificate, tls.clientKey)");
    return result;
  },
};

interface ServerSession {
  handshakeMessages?: { getChunk(): ArrayBuffer };
  protocolVersion: number;
  serverSessionID?: ArrayBuffer;
  serverRandom: ArrayBuffer;
  chosenCipher: { value: number[] };
  compressionMethod: number;
  /** The client signalled RFC 5746 secure renegotiation. */
  netkitRenegotiationInfo?: boolean;
  traceProtocol(protocol: object): void;
}

const RENEGOTIATION_INFO = 0xff01;
const SERVER_HELLO = 2;

const clientHello: Handler & { packetize(this: Handler, session: Session): unknown } = {
  ...sdk.clientHello,
  packetize(session) {
    // the SDK merges its defaults under session.options; ours go between, so the caller's still win
    session.options = { tls_elliptic_curves: GROUPS, tls_signature_algorithms: SIGNATURE_ALGORITHMS, ...(session.options as object) } as Session["options"];
    return sdk.clientHello.packetize.call(this, session);
  },
  unpacketize(session, s) {
    const server = session as unknown as ServerSession;
    server.handshakeMessages ??= { getChunk: () => new ArrayBuffer(0) };
    // The SDK reads version, random, session id, the suites (a 2-byte length, then a readChar per byte)
    // and compression methods, and leaves the extensions: record the suites as they go by.
    const chars: number[] = [];
    const lengths: number[] = [];
    const recorder: Stream & { bytesAvailable: number } = {
      readChar: () => {
        const c = s.readChar();
        chars.push(c);
        return c;
      },
      readChars: (n: number) => {
        const v = s.readChars(n);
        lengths.push(v);
        return v;
      },
      readChunk: (n: number) => s.readChunk(n),
      get bytesAvailable() {
        return (s as unknown as { bytesAvailable: number }).bytesAvailable;
      },
    };
    const result = sdk.clientHello.unpacketize.call(this, session, recorder);
    const suites = chars.slice(1, 1 + (lengths[1] ?? 0)); // after the session id length
    let signalled = false;
    for (let i = 0; i + 1 < suites.length; i += 2)
      if (suites[i] === 0x00 && suites[i + 1] === 0xff) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
        signalled = true;
    const rest = recorder.bytesAvailable;
    if (rest >= 2) {
      let left = Math.min(s.readChars(2), rest - 2);
      while (left >= 4) {
        const type = s.readChars(2);
        const size = s.readChars(2);
        if (size > left - 4)
          break;
        if (size)
          s.readChunk(size);
        if (type === RENEGOTIATION_INFO)
          signalled = true;
        left -= 4 + size;
      }
    }
    server.netkitRenegotiationInfo = signalled;
    return result;
  },
};

const serverHello: Handler & { packetize(this: Handler, session: Session): unknown } = {
  ...sdk.serverHello,
  unpacketize(session, s) {
    const result = sdk.serverHello.unpacketize.call(this, session, s);
    if (session.alert)
      refuse(session, "the server's TLS version is below the minimum asked for (protocol_version)");
    // After a TLS 1.3 attempt failed as if the server spoke only 1.2 (http/transport/tls13): a server that
    // speaks 1.3 ends its 1.2 random with the downgrade sentinel (RFC 8446 4.1.3), so an attacker who forced
    // that failure is caught here.
    if (session.options.tls13Fallback && downgradeSentinel(new Uint8Array(session.serverRandom)))
      refuse(session, "the server's TLS 1.2 random carries the TLS 1.3 downgrade sentinel: a downgrade attack (the TLS 1.3 attempt was made to fail), or a broken server");
    return result;
  },
  packetize(session) {
    const server = session as unknown as ServerSession;
    if (!server.netkitRenegotiationInfo)
      return sdk.serverHello.packetize.call(this, session);
    server.traceProtocol(this);
    // as the SDK's helloProtocol.packetize for a server_hello, then the extensions
    const s = new SSLStream();
    s.writeChars(server.protocolVersion, 2);
    const random = (sdk.helloProtocol as { random: { serialize(): ArrayBuffer } }).random.serialize();
    server.serverRandom = random;
    s.writeChunk(random);
    const id = server.serverSessionID;
    if (!id || !id.byteLength)
      s.writeChar(0);
    else {
      s.writeChar(id.byteLength);
      s.writeChunk(id);
    }
    s.writeChar(server.chosenCipher.value[0]);
    s.writeChar(server.chosenCipher.value[1]);
    s.writeChar(server.compressionMethod);
    s.writeChars(5, 2);                  // extensions: renegotiation_info, empty (RFC 5746 3.6)
    s.writeChars(RENEGOTIATION_INFO, 2);
    s.writeChars(1, 2);
    s.writeChar(0);
    return (sdk.packetize as (session: object, msgType: number, body: SSLStream) => unknown).call(sdk, session, SERVER_HELLO, s);
  },
};

/** The SDK's handshake protocol object, with our handlers; `netkit` tells ssl/cert we are built in. */
const handshake = Object.freeze({ ...sdk, unpacketize, serverKeyExchange, serverHello, certificateRequest, clientHello, netkit: true });
export default handshake;
