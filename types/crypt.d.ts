// The SDK's `crypt` Digest as its own typings/crypt.d.ts declares it. mcconfig compiles with those typings;
// @moddable/typings on npm lacks the file, so the root tsconfig (and the Node build) reads this one.
declare module "crypt" {
  type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";
  export class Digest {
    constructor(type: DigestType);
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
  }
}
