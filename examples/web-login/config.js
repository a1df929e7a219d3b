// tongxing's address and your Official Account's appid (a wechat-oa app in tongxing's APPS).
export const BASE_URL = "http://127.0.0.1:3000";
export const APPID = "wx0123456789abcdef";
