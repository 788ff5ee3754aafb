//! What went wrong, typed from the store up to the screen and said in the reader's language:
//! no server address and no driver's English inside the Chinese console (the log keeps those).

use super::{Lang, action, message_kind, status};
use crate::domain::batch::{RowAt, Table};
use crate::domain::command::{FileRow, Refusal, VisitProblem};
use crate::domain::crew::MessageKind;
use crate::domain::kpi::{KpiProblem, Rate};
use crate::domain::lifecycle::TransitionError;
use crate::domain::{TicketId, Timestamp};

/// Why the console does not trust the room's server's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertProblem {
    /// Past its end date (a certificate from `heatdesk cert` lasts about two years).
    Expired,
    /// Not signed by an authority this PC trusts (the room's own CA not installed).
    NotTrusted,
    /// Made for another name than the address the console was given.
    OtherName,
    /// Refused for another reason (revoked, not yet valid, malformed).
    Invalid,
}

impl CertProblem {
    pub fn english(&self) -> &'static str {
        match self {
            CertProblem::Expired => {
                "has expired; nothing was sent (the server's administrator makes a new one: heatdesk cert)"
            }
            CertProblem::NotTrusted => {
                "is not signed by an authority this PC trusts; nothing was sent (install the room's ca.pem, or set HEATDESK_CA=ca.pem)"
            }
            CertProblem::OtherName => {
                "was made for another name than this address; nothing was sent (use the name the certificate names)"
            }
            CertProblem::Invalid => "was refused; nothing was sent",
        }
    }
}

/// A refusal, failure or notice the console shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The database cannot be opened or used as it is (file or server).
    Database(Unusable),
    /// Someone else changed the ticket after this console last saw it.
    Stale {
        ticket: TicketId,
        seen: i64,
        current: i64,
        by: Option<String>,
        at: Option<Timestamp>,
    },
    /// A row the command names is not there (`what`: ticket, team, building, compound, pipe
    /// segment).
    NotFound { what: &'static str, id: i64 },
    /// The same request (a phone's step) was taken already.
    AlreadyApplied,
    /// The ticket's lifecycle does not allow the step.
    Transition(TransitionError),
    /// What the command asks cannot be done.
    Refusal(Refusal),
    /// The input was checked and refused; the check's own words follow.
    Invalid(String),
    /// The server cannot be reached at all.
    Unreachable,
    /// The room's server's certificate is not trusted, and why.
    Certificate(CertProblem),
    /// The server went away; nothing was written and HeatDesk reconnects.
    Unavailable { since_s: u64 },
    /// The connection was lost while saving: whether it holds shows when the server is back.
    CommitUnknown,
    /// The user's role may not do this.
    Forbidden,
    /// The database itself answered with an error (its message follows, as it came).
    Failed(String),
    /// A file or folder beside the database (a backup's) could not be made or moved; its path
    /// is the company's own folder, shown so it can be put right.
    File { path: String, trouble: FileTrouble },
    /// A reading on a worker thread stopped before it finished.
    Stopped,
}

/// What stood in a file's way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTrouble {
    Missing,
    Denied,
    NotAFolder,
    Full,
    Exists,
    Other,
}

/// Why a database cannot be used as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    Missing,
    BadFolder,
    Exists,
    NotHeatDesk,
    NewerSchema { found: i64, supported: i64 },
    Corrupt,
    ReadOnly,
    NotEmpty,
    BadAddress,
    Occupied,
    Empty,
    SchemaRefused,
    WrongPassword,
    TooManyGuesses,
    NotConsoleAccount,
    SessionEnded,
    OtherServer,
}

/// "操作被拒绝：…" / "Refused: …": what failed, then why.
pub fn headed(lang: Lang, head: &str, problem: &Problem) -> String {
    format!("{head}{}{}", lang.pick("：", ": "), say(lang, problem))
}

/// `problem` in `lang`, one or two sentences.
pub fn say(lang: Lang, problem: &Problem) -> String {
    let zh = lang == Lang::Zh;
    match problem {
        Problem::Database(why) => unusable(lang, *why).to_string(),
        Problem::Stale {
            ticket,
            seen,
            current,
            by,
            at,
        } => {
            let who = match (by, at) {
                (Some(by), Some(at)) if zh => format!("{by}（{}）", at.format("%m-%d %H:%M")),
                (Some(by), Some(at)) => format!("{by} at {}", at.format("%m-%d %H:%M")),
                (Some(by), None) => by.clone(),
                _ => lang.pick("其他人", "someone else").to_string(),
            };
            if zh {
                format!(
                    "工单 #{ticket} 已被 {who} 改过（您看到的是第 {seen} 版，现为第 {current} 版）：请看过后重试"
                )
            } else {
                format!(
                    "ticket #{ticket} was changed by {who} meanwhile (you saw version {seen}, it is now {current}); look again and retry"
                )
            }
        }
        Problem::NotFound { what, id } => {
            let thing = match *what {
                "ticket" => lang.pick("工单", "ticket"),
                "team" => lang.pick("班组", "team"),
                "building" => lang.pick("楼栋", "building"),
                "compound" => lang.pick("小区", "compound"),
                "pipe segment" => lang.pick("管段", "pipe segment"),
                _ => lang.pick("记录", "record"),
            };
            if zh {
                format!("没有编号为 {id} 的{thing}")
            } else {
                format!("no {thing} with id {id}")
            }
        }
        Problem::AlreadyApplied => {
            lang.pick("这一步已经保存过了", "this step was saved already").into()
        }
        Problem::Transition(TransitionError::Illegal {
            ticket,
            status: s,
            action: a,
        }) => {
            if zh {
                format!(
                    "工单 #{ticket} 当前为「{}」，不能{}",
                    status(lang, *s),
                    action(lang, a)
                )
            } else {
                format!(
                    "ticket #{ticket} is {}: cannot {}",
                    status(lang, *s),
                    action(lang, a).to_lowercase()
                )
            }
        }
        Problem::Transition(TransitionError::ReasonRequired(a)) => {
            if zh {
                format!("{}需要填写原因", action(lang, a))
            } else {
                format!("{} needs a reason", action(lang, a))
            }
        }
        Problem::Refusal(r) => refusal(lang, r),
        Problem::Invalid(detail) => {
            format!("{}{detail}", lang.pick("输入有误：", "invalid input: "))
        }
        Problem::Certificate(why) => {
            use CertProblem as P;
            match why {
                P::Expired => lang.pick(
                    "服务器的证书已过期，没有发送任何内容：请管理员重新生成证书（heatdesk cert）",
                    "the server's certificate has expired; nothing was sent: the server's administrator makes a new one (heatdesk cert)",
                ),
                P::NotTrusted => lang.pick(
                    "本机不信任服务器的证书，没有发送任何内容：请安装本调度室的 ca.pem（或设置 HEATDESK_CA=ca.pem）",
                    "this PC does not trust the server's certificate; nothing was sent: install the room's ca.pem (or set HEATDESK_CA=ca.pem)",
                ),
                P::OtherName => lang.pick(
                    "服务器的证书是为另一个名称签发的，没有发送任何内容：请使用证书上的服务器名称",
                    "the server's certificate was made for another name; nothing was sent: use the server's name the certificate names",
                ),
                P::Invalid => lang.pick(
                    "服务器的证书无效，没有发送任何内容",
                    "the server's certificate was refused; nothing was sent",
                ),
            }
            .into()
        }
        Problem::Unreachable => lang
            .pick(
                "连不上数据库服务器：请检查网络和服务器地址",
                "cannot reach the database server: check the network and the server's address",
            )
            .into(),
        Problem::Unavailable { since_s } => {
            if zh {
                format!(
                    "数据库服务器已断开 {since_s} 秒：没有写入任何内容，HeatDesk 会自动重连"
                )
            } else {
                format!(
                    "the database server has been away for {since_s} s: nothing was written; HeatDesk reconnects by itself"
                )
            }
        }
        Problem::CommitUnknown => lang
            .pick(
                "保存时连接中断：服务器恢复后可见是否已保存",
                "the connection was lost while saving: whether it was saved shows when the server is back",
            )
            .into(),
        Problem::Forbidden => lang
            .pick(
                "您的角色不能做这一步（由管理员授予角色）",
                "your role may not do this (an administrator grants roles)",
            )
            .into(),
        Problem::Failed(detail) => {
            format!("{}{detail}", lang.pick("数据库出错：", "database error: "))
        }
        Problem::File { path, trouble } => {
            let why = match trouble {
                FileTrouble::Missing => lang.pick("不存在", "does not exist"),
                FileTrouble::Denied => lang.pick("没有写入权限", "may not be written here"),
                FileTrouble::NotAFolder => lang.pick(
                    "路径中有同名文件而不是文件夹",
                    "a file stands where a folder should be",
                ),
                FileTrouble::Full => lang.pick("磁盘已满", "the disk is full"),
                FileTrouble::Exists => lang.pick("已存在", "exists already"),
                FileTrouble::Other => lang.pick("无法写入", "cannot be written"),
            };
            format!("{path}{}{why}", lang.pick("：", ": "))
        }
        Problem::Stopped => lang
            .pick(
                "读取中途停止：请重新打开数据库",
                "the reading stopped before it finished: open the database again",
            )
            .into(),
    }
}

/// A role's name, in `lang`.
pub fn role_name(lang: Lang, role: crate::domain::crew::Role) -> &'static str {
    use crate::domain::crew::Role;
    match role {
        Role::Technician => lang.pick("维修人员", "Technician"),
        Role::Dispatcher => lang.pick("调度员", "Dispatcher"),
        Role::Leader => lang.pick("领导", "Leader"),
        Role::Admin => lang.pick("管理员", "Admin"),
    }
}

/// A refused command, in `lang`.
pub fn refusal(lang: Lang, r: &Refusal) -> String {
    let zh = lang == Lang::Zh;
    match r {
        Refusal::DeadlineUnderAMinute => lang
            .pick("时限至少为 1 分钟", "deadlines must be at least one minute")
            .into(),
        Refusal::BadLogin(login) if zh => {
            format!("账号「{login}」：请用 1–32 个字母、数字或 . _ -")
        }
        Refusal::BadLogin(login) => {
            format!("login \"{login}\": use 1–32 letters, digits, '.', '_' or '-'")
        }
        Refusal::RoleTeam { login, role } if zh => match role {
            crate::domain::crew::Role::Technician => {
                format!("账号「{login}」：维修人员须属于一个班组")
            }
            _ => format!("账号「{login}」：{}不属于班组", role_name(lang, *role)),
        },
        Refusal::RoleTeam { login, role } => match role {
            crate::domain::crew::Role::Technician => {
                format!("account \"{login}\": a technician belongs to a team")
            }
            _ => format!(
                "account \"{login}\": a {} belongs to no team",
                role_name(lang, *role).to_lowercase()
            ),
        },
        Refusal::CannotLink { ticket, status: s } if zh => {
            format!("工单 #{ticket} 已是「{}」，不能并入", status(lang, *s))
        }
        Refusal::CannotLink { ticket, status: s } => format!(
            "ticket #{ticket} is {} already: it cannot be linked",
            status(lang, *s).to_lowercase()
        ),
        Refusal::AlreadyLinked { ticket, parent } if zh => {
            format!("工单 #{ticket} 已并入管网工单 #{parent}")
        }
        Refusal::AlreadyLinked { ticket, parent } => {
            format!("ticket #{ticket} is already linked to network ticket #{parent}")
        }
        Refusal::NotOpen { ticket, status: s } if zh => {
            format!("工单 #{ticket} 已是「{}」：请新建工单", status(lang, *s))
        }
        Refusal::NotOpen { ticket, status: s } => format!(
            "ticket #{ticket} is {} already: create a new ticket instead",
            status(lang, *s).to_lowercase()
        ),
        Refusal::NoBuildingToNotify => lang
            .pick("没有可通知的楼栋", "no building to notify")
            .into(),
        Refusal::PasswordNotHashed => lang
            .pick(
                "账号只保存密码的 Argon2 摘要，不保存密码本身",
                "an account keeps an Argon2 hash of its password, never the password",
            )
            .into(),
        Refusal::EmptyTemplate(kind) => empty_template(lang, *kind),
        Refusal::Visit(problem) => visit(lang, problem),
        Refusal::HouseholdElsewhere {
            household,
            building,
            compound,
        } if zh => format!("第 {household} 户：楼栋 #{building} 不在小区 #{compound} 内"),
        Refusal::HouseholdElsewhere {
            household,
            building,
            compound,
        } => format!("household {household}: building #{building} is not in compound #{compound}"),
        Refusal::ImportedMisfit {
            at,
            status: s,
            field,
        } if zh => format!(
            "{}：状态「{}」与字段 {field} 不符",
            file_row(lang, at),
            status(lang, *s)
        ),
        Refusal::ImportedMisfit {
            at,
            status: s,
            field,
        } => format!(
            "{}: status \"{}\" does not fit field {field}",
            file_row(lang, at),
            status(lang, *s)
        ),
        Refusal::OwnNetworkTicket(at) if zh => {
            format!("{}：工单不能并入它自己", file_row(lang, at))
        }
        Refusal::OwnNetworkTicket(at) => {
            format!(
                "{}: a ticket cannot be its own network ticket",
                file_row(lang, at)
            )
        }
        Refusal::MissingNewRow {
            file,
            table: t,
            refers,
        } if zh => format!(
            "{file}：一行{}引用了文件中没有的新{}",
            table(lang, *t),
            table(lang, *refers)
        ),
        Refusal::MissingNewRow {
            file,
            table: t,
            refers,
        } => format!(
            "{file}: a {} row refers to a new {} row the file does not have",
            table(lang, *t),
            table(lang, *refers)
        ),
        Refusal::RowRefused { at, detail } if zh => {
            format!("{}：数据库拒收这一行（{detail}）", file_row(lang, at))
        }
        Refusal::RowRefused { at, detail } => {
            format!(
                "{}: the database refused the row ({detail})",
                file_row(lang, at)
            )
        }
        Refusal::NotOnEarth {
            position,
            accuracy_m,
        } if zh => format!(
            "位置 {:.5}, {:.5}（±{accuracy_m} 米）不在地球上：请重新定位",
            position[0], position[1]
        ),
        Refusal::NotOnEarth {
            position,
            accuracy_m,
        } => format!(
            "position {:.5}, {:.5} (±{accuracy_m} m) is not a place on Earth: locate again",
            position[0], position[1]
        ),
        Refusal::NoClientId => lang
            .pick(
                "手机请求缺少编号（1–80 个字符）",
                "a phone's request needs a client id (1–80 characters)",
            )
            .into(),
        Refusal::TooManyPhotos if zh => format!(
            "最多 {} 张照片，每张不超过 {} KB",
            crate::domain::crew::MAX_PHOTOS,
            crate::domain::crew::MAX_PHOTO_BYTES / 1024
        ),
        Refusal::TooManyPhotos => format!(
            "at most {} photos of at most {} KB each",
            crate::domain::crew::MAX_PHOTOS,
            crate::domain::crew::MAX_PHOTO_BYTES / 1024
        ),
        Refusal::ImplausibleTemperature(c) if zh => {
            format!("室内温度 {c} °C 不可能：请重新测量")
        }
        Refusal::ImplausibleTemperature(c) => {
            format!("an indoor temperature of {c} °C cannot be right: measure again")
        }
        Refusal::Kpi(problem) => kpi(lang, problem),
    }
}

/// What a company's KPI settings got wrong, in `lang`.
pub fn kpi(lang: Lang, problem: &KpiProblem) -> String {
    let zh = lang == Lang::Zh;
    match *problem {
        KpiProblem::Standard(c) if zh => format!("室温标准 {c} °C 不是室内温度标准（10–30 °C）"),
        KpiProblem::Standard(c) => {
            format!("indoor standard: {c} °C is not an indoor standard (10–30 °C)")
        }
        KpiProblem::Basis(n) if zh => format!("投诉率基数 {n}：应为每千户或每万户"),
        KpiProblem::Basis(n) => {
            format!("complaints per households: {n} (per 1,000 or per 10,000)")
        }
        KpiProblem::Limits { rate, max } => {
            let name = match rate {
                Rate::Complaints => lang.pick("投诉率", "complaint rate"),
                Rate::Satisfaction => lang.pick("满意率", "satisfaction rate"),
                Rate::Timely => lang.pick("处置及时率", "timely-handling rate"),
                Rate::Temperature => lang.pick("室温达标率", "indoor temperature compliance"),
            };
            if zh {
                format!("{name}的分档界限应在 0 到 {max} 之间")
            } else {
                format!("{name}: the limits must lie between 0 and {max}")
            }
        }
    }
}

/// "tickets.csv 第 5 行" / "tickets.csv row 5".
fn file_row(lang: Lang, at: &FileRow) -> String {
    match (at.at, lang) {
        (None, _) => at.file.clone(),
        (Some(RowAt::Row(n)), Lang::Zh) => format!("{} 第 {n} 行", at.file),
        (Some(RowAt::Feature(n)), Lang::Zh) => format!("{} 第 {n} 个要素", at.file),
        (Some(r), Lang::En) => format!("{} {r}", at.file),
    }
}

/// A kind of row, as an import names it.
fn table(lang: Lang, t: Table) -> &'static str {
    match t {
        Table::Departments => lang.pick("服务部", "department"),
        Table::Compounds => lang.pick("小区", "compound"),
        Table::Buildings => lang.pick("楼栋", "building"),
        Table::Sources => lang.pick("热源", "heat source"),
        Table::Stations => lang.pick("换热站", "station"),
        Table::Nodes => lang.pick("管网节点", "network node"),
        Table::Pipes => lang.pick("管段", "pipe segment"),
        Table::Valves => lang.pick("阀门", "valve"),
        Table::Teams => lang.pick("班组", "team"),
        Table::Tickets => lang.pick("工单", "ticket"),
        Table::Visits => lang.pick("走访", "visit"),
        Table::Readings => lang.pick("测温", "reading"),
        Table::Surveys => lang.pick("回访", "answer"),
    }
}

/// What a visit's form got wrong, in `lang`.
pub fn visit(lang: Lang, problem: &VisitProblem) -> String {
    let zh = lang == Lang::Zh;
    match *problem {
        VisitProblem::Channel => lang
            .pick(
                "走访渠道应为领导走访或入户走访",
                "a visit is a leader's visit or door-to-door",
            )
            .into(),
        VisitProblem::NoLeaders => lang
            .pick("请填写走访领导", "name who went (leaders)")
            .into(),
        VisitProblem::FewerEntered { entered, recorded } if zh => {
            format!("入户数 {entered} 少于已登记的 {recorded} 户")
        }
        VisitProblem::FewerEntered { entered, recorded } => {
            format!("households entered: {entered} is fewer than the {recorded} recorded")
        }
        VisitProblem::Reading {
            household,
            reading,
            celsius,
        } if zh => format!("第 {household} 户第 {reading} 个读数：{celsius} °C 不是室内温度"),
        VisitProblem::Reading {
            household,
            reading,
            celsius,
        } => format!(
            "household {household}, reading {reading}: {celsius} °C is not an indoor temperature"
        ),
        VisitProblem::Undescribed { household, problem } if zh => {
            format!("第 {household} 户第 {problem} 个问题：请描述问题")
        }
        VisitProblem::Undescribed { household, problem } => {
            format!("household {household}, problem {problem}: describe the problem")
        }
    }
}

/// A message template left empty, in `lang`.
pub fn empty_template(lang: Lang, kind: MessageKind) -> String {
    match lang {
        Lang::Zh => format!("「{}」短信模板为空", message_kind(lang, kind)),
        Lang::En => format!("the \"{}\" message is empty", message_kind(lang, kind)),
    }
}

fn unusable(lang: Lang, why: Unusable) -> String {
    let s = |zh: &'static str, en: &'static str| lang.pick(zh, en).to_string();
    match why {
        Unusable::Missing => s("找不到数据库文件", "no such database file"),
        Unusable::BadFolder => s(
            "文件夹不存在或不可写",
            "the folder does not exist or is not writable",
        ),
        Unusable::Exists => s(
            "文件已存在，不会覆盖",
            "the file exists already; not overwritten",
        ),
        Unusable::NotHeatDesk => s("这不是 HeatDesk 的数据库", "not a HeatDesk database"),
        Unusable::NewerSchema { found, supported } => match lang {
            Lang::Zh => format!(
                "数据库由更新版本的 HeatDesk 写入（结构 {found}，本程序支持到 {supported}）：请升级 HeatDesk"
            ),
            Lang::En => format!(
                "written by a newer HeatDesk (schema {found}, this program knows up to {supported}): upgrade HeatDesk"
            ),
        },
        Unusable::Corrupt => s(
            "数据库已损坏或无法读取：请从备份恢复",
            "the database is corrupt or unreadable: restore a backup",
        ),
        Unusable::ReadOnly => s(
            "数据库只读：HeatDesk 需要写入",
            "the database is read-only; HeatDesk needs to write to it",
        ),
        Unusable::NotEmpty => s(
            "数据库已有数据：这一步需要空的 HeatDesk 数据库",
            "the database holds data already; this needs an empty HeatDesk database",
        ),
        Unusable::BadAddress => s(
            "服务器地址无法使用",
            "not a server address HeatDesk can use",
        ),
        Unusable::Occupied => s(
            "该数据库已有其他表：请新建一个空数据库",
            "the database holds tables already: create an empty one",
        ),
        Unusable::Empty => s("数据库是空的", "an empty database"),
        Unusable::WrongPassword => s("账号或密码不对", "wrong login or password"),
        Unusable::TooManyGuesses => s(
            "密码错误次数过多：请一分钟后再试",
            "too many wrong passwords: wait a minute and try again",
        ),
        Unusable::NotConsoleAccount => s(
            "维修人员账号只能登录手机页面，不能登录调度台",
            "a technician's account logs in on the phone page, not at a console",
        ),
        Unusable::SessionEnded => s(
            "登录已失效（已退出、过期或账号被停用）：请重新启动调度台登录",
            "the session ended (logged out, expired or the account disabled): start the console again to log in",
        ),
        Unusable::SchemaRefused => s(
            "服务器拒绝了数据库结构：请让管理员升级",
            "the server refused the schema: ask an administrator to upgrade it",
        ),
        Unusable::OtherServer => s(
            "服务器的 HeatDesk 版本与本机不同：请安装与服务器相同的版本",
            "the server runs another HeatDesk version: install the server's version here",
        ),
    }
}
