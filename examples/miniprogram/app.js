// One client for the whole mini-program: it keeps the token in wx storage and shares logins.
// lib/tongxing is client/dist, copied by `npm run example:sdk` in the tongxing repository.

import { BASE_URL } from "./config.js";
import { createClient } from "./lib/tongxing/index.js";

App({
  tx: createClient({ baseUrl: BASE_URL }),
});
