"""The console's words for the session and the account: the demo banner and the
password page (zh-CN, English); merged into ``api.console.i18n.TEXT``."""

from __future__ import annotations

ACCOUNT_TEXT: dict[str, tuple[str, str]] = {
    "demo.banner": (
        "演示模式：演示数据，演示账号的密码是公开的，切勿录入真实警情",
        "Demo mode: demo data, and the demo accounts' password is public; "
        "never enter real incidents",
    ),
    "nav.password": ("修改密码", "Password"),
    "password.title": ("修改密码", "Change password"),
    "password.required": (
        "您的密码由管理员设置，请先修改，再使用其他功能。",
        "An administrator set your password: change it before going on.",
    ),
    "password.current": ("当前密码", "Current password"),
    "password.new": ("新密码", "New password"),
    "password.confirm": ("再次输入新密码", "New password again"),
    "password.rules": (
        "至少 12 位；不能是常见密码、纯数字或包含用户名。几个词组成的短句既好记又安全。"
        "修改后，其他设备上的登录全部失效。",
        "At least 12 characters; not a common password, not only digits, not containing "
        "your user name. A phrase of several words is easy to remember and safe. Every "
        "other log-in of yours ends when you change it.",
    ),
    "password.submit": ("保存新密码", "Save the new password"),
}
