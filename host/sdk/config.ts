// Host `mc/config`: the manifest's config with $HOST_CONFIG overrides (see ../runtime.ts).
import { config } from "../runtime.js";

export default config;
