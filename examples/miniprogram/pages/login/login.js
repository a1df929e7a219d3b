const { tx } = getApp();

Page({
  data: { error: "" },
  async onLoad() {
    // A stored token is used as is; /me tells whether it is still good.
    if (tx.getToken()) {
      try {
        await tx.me();
        wx.redirectTo({ url: "/pages/profile/profile" });
      } catch {
        // Not good any more: stay here and let the user log in again.
      }
    }
  },
  async onLogin() {
    try {
      await tx.login();
      wx.redirectTo({ url: "/pages/profile/profile" });
    } catch (err) {
      this.setData({ error: `${err.code}: ${err.message}` });
    }
  },
});
