"""The administration page's words, zh-CN and English."""

from __future__ import annotations

ADMIN_TEXT: dict[str, tuple[str, str]] = {
    "nav.admin": ("系统管理", "Administration"),
    "admin.title": ("系统管理", "Administration"),
    "admin.lede": (
        "单位与账号的每一次变更都记为事件：谁、何时、为何。",
        "Every change to units and accounts is recorded as an event: who, when and why.",
    ),
    "admin.units": ("单位", "Units"),
    "admin.accounts": ("账号", "Accounts"),
    "admin.retired": ("已撤销", "retired"),
    "admin.history": ("历史", "History"),
    "admin.new_unit": ("登记单位", "Register a unit"),
    "admin.rename": ("单位更名", "Rename a unit"),
    "admin.new_account": ("创建账号", "Create an account"),
    "admin.search": ("搜索用户名或姓名", "Search user name or name"),
    "admin.f.code": ("编码", "Code"),
    "admin.f.kind": ("类别", "Kind"),
    "admin.f.parent": ("上级单位", "Parent"),
    "admin.f.name": ("名称", "Name"),
    "admin.f.reason": ("理由", "Reason"),
    "admin.f.username": ("用户名", "User name"),
    "admin.f.display_name": ("姓名", "Name"),
    "admin.f.role": ("角色", "Role"),
    "admin.f.unit": ("单位", "Unit"),
    "admin.disable": ("停用", "Disable"),
    "admin.enable": ("启用", "Enable"),
    "admin.reset": ("重设密码", "Reset password"),
    "admin.grant": ("改派角色", "Change role"),
    "admin.disabled": ("已停用", "disabled"),
    "admin.must_change": ("须改密码", "must change password"),
    "admin.submit": ("提交", "Submit"),
    "admin.one_time": (
        "账号 {username} 的一次性密码（仅显示这一次，首次登录须修改）：",
        "The one-time password of {username} (shown only now; to be changed at log-in):",
    ),
    "admin.done": ("已办理", "Done"),
    "admin.preset": ("本县政策预设", "The county's policy preset"),
    "admin.preset.rules": (
        "积分：{scoring}；任务：{tasks}；培训：{training}",
        "Scoring: {scoring}; tasks: {tasks}; training: {training}",
    ),
    "admin.preset.teams": ("专业队", "Specialty teams"),
}
