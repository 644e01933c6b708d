// `node --import <this>`: installs the host runtime (module hook and XS globals) before any module loads.
import { register } from "node:module";
import "./globals.js";

register("./loader.js", import.meta.url);
