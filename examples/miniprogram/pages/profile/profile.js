const { tx } = getApp();

Page({
  data: { user: null, nickname: "", message: "" },
  async onShow() {
    try {
      // request() logs in again by itself if the session expired meanwhile; one that somebody
      // ended (a login on another device, a ban) rejects with err.reason instead.
      const user = await tx.me();
      this.setData({ user, nickname: user.nickname || "" });
    } catch (err) {
      this.setData({ message: `${err.code}: ${err.message}` });
    }
  },
  onNicknameInput(e) {
    this.setData({ nickname: e.detail.value });
  },
  async onSave() {
    try {
      const user = await tx.updateMe({ nickname: this.data.nickname });
      this.setData({ user, message: "已保存" });
    } catch (err) {
      this.setData({ message: `${err.code}: ${err.message}` });
    }
  },
  async onLogout() {
    await tx.logout();
    wx.redirectTo({ url: "/pages/login/login" });
  },
});
