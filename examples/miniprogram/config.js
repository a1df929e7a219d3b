// Where tongxing runs. For a local server in WeChat DevTools, keep "不校验合法域名" (urlCheck off).
export const BASE_URL = "http://127.0.0.1:3000";
