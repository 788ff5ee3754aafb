//! The crews in the console: 账号管理 (the technicians' accounts for the phone page — add one,
//! reset a password, disable or enable), 短信 (the outbox with masked numbers and where each
//! message is, and the templates residents' messages are written from), and the trace panel's
//! buttons that text the residents of an outage.

use egui::{Color32, RichText, Ui};

use super::app::HeatDeskApp;
use crate::console::Tag;
use crate::domain::crew::{
    self, Account, Message, MessageKind, MessageStatus, MessageTemplates, Role,
};
use crate::domain::{Command, TeamId};
use crate::words::problem::{role_name, say};
use crate::words::{self, Key, format::mask_phone};

/// Seconds between readings of the outbox while the window is open (the sender is another
/// process: its deliveries are seen this way).
const REREAD_SECONDS: f64 = 3.0;

/// The two windows' state.
#[derive(Default)]
pub struct CrewWindows {
    pub accounts_open: bool,
    pub messages_open: bool,
    accounts: Vec<Account>,
    outbox: Vec<Message>,
    /// The templates as being edited (read when the window opens).
    pub templates: Option<MessageTemplates>,
    /// When the lists were read (the frame clock's seconds); None: read them now.
    read_at: Option<f64>,
    /// The new account's fields.
    pub login: String,
    pub name: String,
    pub team: Option<TeamId>,
    /// The new account's role (None: a technician).
    pub role: Option<Role>,
    pub password: String,
    /// An account whose password is being reset, and the new one.
    reset: Option<(String, String)>,
    pub problem: Option<String>,
}

/// An account as typed into the window (its password hashed when it is saved).
pub struct Typed {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub team: Option<TeamId>,
    pub password: String,
}

impl CrewWindows {
    /// Read the lists again at the next frame (a change was made).
    pub fn reread(&mut self) {
        self.read_at = None;
    }
}

/// A login as the phone page takes it: 1–32 letters, digits, `.`, `_`, `-`.
pub fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 32
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl HeatDeskApp {
    /// Save an account as typed (its password hashed here; the password itself goes nowhere).
    pub fn save_account(&mut self, typed: &Typed) -> bool {
        let Typed {
            login,
            name,
            role,
            team,
            password,
        } = typed;
        let (login, role, team) = (login.as_str(), *role, *team);
        let lang = self.lang();
        if !valid_login(login) {
            self.crews.problem = Some(words::t(lang, Key::LoginNeeded).into());
            return false;
        }
        let hash = match crew::hash_password(password) {
            Ok(h) => h,
            Err(e) => {
                self.crews.problem = Some(format!("{}: {e}", words::t(lang, Key::Password)));
                return false;
            }
        };
        let created_at = self
            .crews
            .accounts
            .iter()
            .find(|a| a.login == login)
            .map_or(self.now(), |a| a.created_at);
        self.crews.problem = None;
        self.send_from(
            Tag::Accounts,
            Command::SaveAccount(Account {
                login: login.to_string(),
                name: if name.trim().is_empty() {
                    login.to_string()
                } else {
                    name.trim().to_string()
                },
                team_id: team,
                role,
                password_hash: hash,
                created_at,
                disabled: false,
            }),
        );
        true
    }
}

pub fn show(app: &mut HeatDeskApp, ctx: &egui::Context, time: f64) {
    if !(app.crews.accounts_open || app.crews.messages_open) {
        return;
    }
    let due = app
        .crews
        .read_at
        .is_none_or(|at| time - at >= REREAD_SECONDS);
    if due {
        app.crews.read_at = Some(time);
        if app.crews.accounts_open {
            match app.console.accounts() {
                Ok(a) => app.crews.accounts = a,
                Err(e) => app.crews.problem = Some(say(app.lang(), &e.problem())),
            }
        }
        if app.crews.messages_open {
            match app.console.outbox(200) {
                Ok(m) => app.crews.outbox = m,
                Err(e) => app.crews.problem = Some(say(app.lang(), &e.problem())),
            }
            if app.crews.templates.is_none() {
                app.crews.templates = Some(app.console.message_templates().unwrap_or_default());
            }
        }
    }
    ctx.request_repaint_after(std::time::Duration::from_secs_f64(REREAD_SECONDS));
    accounts_window(app, ctx);
    messages_window(app, ctx);
}

fn accounts_window(app: &mut HeatDeskApp, ctx: &egui::Context) {
    if !app.crews.accounts_open {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let teams: Vec<(TeamId, String)> = app
        .snap()
        .teams
        .iter()
        .map(|t| (t.id, t.name.clone()))
        .collect();
    let team_name = |id: TeamId| {
        teams
            .iter()
            .find(|(t, _)| *t == id)
            .map_or_else(|| format!("#{id}"), |(_, n)| n.clone())
    };
    let mut open = true;
    let mut save: Option<Typed> = None;
    let mut toggle: Option<Account> = None;
    egui::Window::new(tr(Key::CrewAccounts))
        .open(&mut open)
        // over the map, clear of the top bar and the queue
        .default_pos([360.0, 90.0])
        .default_width(620.0)
        .show(ctx, |ui| {
            ui.label(RichText::new(tr(Key::AccountsHint)).small().weak());
            ui.separator();
            if app.crews.accounts.is_empty() {
                ui.label(RichText::new(tr(Key::NoAccounts)).weak());
            }
            egui::ScrollArea::vertical()
                .max_height(280.0)
                .show(ui, |ui| {
                    egui::Grid::new("accounts_grid")
                        .num_columns(6)
                        .striped(true)
                        .spacing([14.0, 4.0])
                        .show(ui, |ui| {
                            for h in [
                                Key::LoginName,
                                Key::PersonName,
                                Key::Role,
                                Key::Team,
                                Key::Status,
                            ] {
                                ui.strong(tr(h));
                            }
                            ui.label("");
                            ui.end_row();
                            for a in app.crews.accounts.clone() {
                                ui.label(&a.login);
                                ui.label(&a.name);
                                ui.label(role_name(lang, a.role));
                                ui.label(a.team_id.map_or_else(String::new, team_name));
                                if a.disabled {
                                    ui.label(
                                        RichText::new(tr(Key::AccountDisabled))
                                            .color(Color32::GRAY),
                                    );
                                } else {
                                    ui.label(
                                        RichText::new(tr(Key::AccountActive))
                                            .color(Color32::from_rgb(0x2e, 0x7d, 0x32)),
                                    );
                                }
                                ui.horizontal(|ui| {
                                    let resetting = app
                                        .crews
                                        .reset
                                        .as_ref()
                                        .is_some_and(|(l, _)| *l == a.login);
                                    if resetting {
                                        let (_, pw) = app.crews.reset.as_mut().expect("resetting");
                                        ui.add(
                                            egui::TextEdit::singleline(pw)
                                                .password(true)
                                                .hint_text(tr(Key::NewPassword))
                                                .desired_width(110.0),
                                        );
                                        if ui.button(tr(Key::Save)).clicked() {
                                            save = Some(Typed {
                                                login: a.login.clone(),
                                                name: a.name.clone(),
                                                role: a.role,
                                                team: a.team_id,
                                                password: pw.clone(),
                                            });
                                        }
                                        if ui.button(tr(Key::Cancel)).clicked() {
                                            app.crews.reset = None;
                                        }
                                    } else if ui.button(tr(Key::ResetPassword)).clicked() {
                                        app.crews.reset = Some((a.login.clone(), String::new()));
                                    }
                                    let label = if a.disabled {
                                        Key::EnableAccount
                                    } else {
                                        Key::DisableAccount
                                    };
                                    if ui.button(tr(label)).clicked() {
                                        toggle = Some(a.clone());
                                    }
                                });
                                ui.end_row();
                            }
                        });
                });
            ui.separator();
            ui.strong(tr(Key::AddAccount));
            egui::Grid::new("account_new")
                .num_columns(2)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    ui.label(tr(Key::LoginName));
                    ui.add(egui::TextEdit::singleline(&mut app.crews.login).desired_width(180.0));
                    ui.end_row();
                    ui.label(tr(Key::PersonName));
                    ui.add(egui::TextEdit::singleline(&mut app.crews.name).desired_width(180.0));
                    ui.end_row();
                    ui.label(tr(Key::Role));
                    let role = app.crews.role.unwrap_or(Role::Technician);
                    egui::ComboBox::from_id_salt("account_role")
                        .selected_text(role_name(lang, role))
                        .width(180.0)
                        .show_ui(ui, |ui| {
                            for r in Role::ALL {
                                ui.selectable_value(
                                    &mut app.crews.role,
                                    Some(*r),
                                    role_name(lang, *r),
                                );
                            }
                        });
                    ui.end_row();
                    // only a technician belongs to a team
                    if role == Role::Technician {
                        ui.label(tr(Key::Team));
                        let chosen = app.crews.team.map_or_else(String::new, team_name);
                        egui::ComboBox::from_id_salt("account_team")
                            .selected_text(chosen)
                            .width(180.0)
                            .show_ui(ui, |ui| {
                                for (id, name) in &teams {
                                    ui.selectable_value(&mut app.crews.team, Some(*id), name);
                                }
                            });
                        ui.end_row();
                    }
                    ui.label(tr(Key::Password));
                    ui.add(
                        egui::TextEdit::singleline(&mut app.crews.password)
                            .password(true)
                            .desired_width(180.0),
                    );
                    ui.end_row();
                });
            let role = app.crews.role.unwrap_or(Role::Technician);
            let team = app.crews.team.filter(|_| role == Role::Technician);
            let ready =
                (role != Role::Technician || team.is_some()) && !app.crews.login.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new(tr(Key::AddAccount)))
                .clicked()
            {
                save = Some(Typed {
                    login: app.crews.login.trim().to_string(),
                    name: app.crews.name.clone(),
                    role,
                    team,
                    password: app.crews.password.clone(),
                });
            }
            if let Some(p) = &app.crews.problem {
                ui.colored_label(Color32::from_rgb(0xc6, 0x28, 0x28), p);
            }
        });
    if let Some(typed) = save
        && app.save_account(&typed)
    {
        app.crews.reset = None;
        if typed.login == app.crews.login.trim() {
            app.crews.login.clear();
            app.crews.name.clear();
        }
        app.crews.password.clear();
    }
    if let Some(mut a) = toggle {
        a.disabled = !a.disabled;
        app.send_from(Tag::Accounts, Command::SaveAccount(a));
    }
    if !open {
        app.crews.accounts_open = false;
        app.crews.password.clear();
        app.crews.reset = None;
    }
}

fn messages_window(app: &mut HeatDeskApp, ctx: &egui::Context) {
    if !app.crews.messages_open {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let can_edit = app.console.permissions().kpi_rules;
    let mut open = true;
    let mut save: Option<MessageTemplates> = None;
    egui::Window::new(tr(Key::MessagesWindow))
        .open(&mut open)
        .default_pos([340.0, 70.0])
        .default_width(760.0)
        .show(ctx, |ui| {
            ui.strong(tr(Key::Outbox));
            ui.label(RichText::new(tr(Key::NoGatewayHint)).small().weak());
            if app.crews.outbox.is_empty() {
                ui.label(RichText::new(tr(Key::NoMessages)).weak());
            }
            egui::ScrollArea::vertical()
                .id_salt("outbox")
                .max_height(260.0)
                .show(ui, |ui| {
                    egui::Grid::new("outbox_grid")
                        .num_columns(6)
                        .striped(true)
                        .spacing([12.0, 3.0])
                        .show(ui, |ui| {
                            for m in &app.crews.outbox {
                                ui.label(m.created_at.format("%m-%d %H:%M").to_string());
                                ui.label(words::message_kind(lang, m.kind));
                                ui.label(m.ticket_id.map_or(String::new(), |t| format!("#{t}")));
                                // the number stays masked here as on the phone page
                                ui.label(mask_phone(&m.phone));
                                let colour = match m.status {
                                    MessageStatus::Pending => Color32::from_rgb(0x8d, 0x6e, 0x00),
                                    MessageStatus::Sent => Color32::from_rgb(0x2e, 0x7d, 0x32),
                                    MessageStatus::Failed => Color32::from_rgb(0xc6, 0x28, 0x28),
                                };
                                let mut status = words::message_status(lang, m.status).to_string();
                                if m.attempts > 0 && m.status != MessageStatus::Sent {
                                    status =
                                        format!("{status} · {} {}", m.attempts, tr(Key::Tries));
                                }
                                ui.label(RichText::new(status).color(colour))
                                    .on_hover_text(&m.error);
                                let short: String = m.body.chars().take(36).collect();
                                ui.label(RichText::new(short).small())
                                    .on_hover_text(&m.body);
                                ui.end_row();
                            }
                        });
                });
            ui.separator();
            ui.strong(tr(Key::MessageTemplatesTitle));
            ui.label(RichText::new(tr(Key::TemplateHint)).small().weak());
            if let Some(t) = app.crews.templates.as_mut() {
                egui::Grid::new("templates_grid")
                    .num_columns(2)
                    .spacing([10.0, 4.0])
                    .show(ui, |ui| {
                        for kind in MessageKind::ALL {
                            ui.label(words::message_kind(lang, *kind));
                            let text = match kind {
                                MessageKind::Assigned => &mut t.assigned,
                                MessageKind::Arrived => &mut t.arrived,
                                MessageKind::Fixed => &mut t.fixed,
                                MessageKind::OutageStop => &mut t.outage_stop,
                                MessageKind::OutageRestore => &mut t.outage_restore,
                            };
                            ui.add_enabled(
                                can_edit,
                                egui::TextEdit::multiline(text)
                                    .desired_rows(2)
                                    .desired_width(560.0),
                            );
                            ui.end_row();
                        }
                    });
                if can_edit && ui.button(tr(Key::SaveTemplates)).clicked() {
                    save = Some(t.clone());
                }
            }
            if let Some(p) = &app.crews.problem {
                ui.colored_label(Color32::from_rgb(0xc6, 0x28, 0x28), p);
            }
        });
    if let Some(t) = save {
        match t.check() {
            Ok(()) => {
                app.crews.problem = None;
                app.send_from(Tag::Messages, Command::SetMessageTemplates(t));
            }
            Err(kind) => app.crews.problem = Some(words::problem::empty_template(app.lang(), kind)),
        }
    }
    if !open {
        app.crews.messages_open = false;
        app.crews.templates = None;
    }
}

impl HeatDeskApp {
    /// Write a ticket's photos to `<export dir>/ticket-<id>-<n>.jpg` and say where.
    pub fn export_photos(&mut self, ticket: crate::domain::TicketId) {
        let lang = self.lang();
        let dir = self.export_dir.clone();
        let result = self
            .console
            .photos(ticket)
            .map_err(|e| say(lang, &e.problem()))
            .and_then(|photos| {
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                for (n, p) in photos.iter().enumerate() {
                    let ext = if p.mime == "image/png" { "png" } else { "jpg" };
                    let path = dir.join(format!("ticket-{ticket}-{}.{ext}", n + 1));
                    std::fs::write(&path, &p.bytes)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
                Ok(photos.len())
            });
        self.notice = Some(match result {
            Ok(n) => super::app::Notice::said(true, lang, move |lang| {
                format!(
                    "{} {} ({n})",
                    words::t(lang, Key::PhotosExported),
                    dir.display()
                )
            }),
            Err(e) => super::app::Notice::said(false, lang, move |lang| {
                format!("{}: {e}", words::t(lang, Key::Refused))
            }),
        });
    }
}

/// 短信通知停热 / 恢复: a message to each resident of the traced buildings who gave a number.
pub fn outage_messages(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    for (key, restore) in [(Key::SmsOutageStop, false), (Key::SmsOutageRestore, true)] {
        if ui.button(words::t(lang, key)).clicked() {
            let Some(trace) = &app.trace else { return };
            let mut buildings: Vec<_> = trace.buildings.iter().copied().collect();
            buildings.sort_unstable();
            let when = app.now();
            app.send_from(
                Tag::Messages,
                Command::NotifyOutage {
                    buildings,
                    restore,
                    when,
                },
            );
        }
    }
}
