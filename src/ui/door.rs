//! 登录: the console's door to the room's server. The window opens on a login form (the
//! login remembered for the server, never the password); the console behind it is made once
//! the server has let the account in and the first frame's data has arrived.

use std::sync::mpsc::{Receiver, TryRecvError};

use egui::{Color32, RichText, Ui};

use super::{HeatDeskApp, Prefs, Start};
use crate::store::remote::{RemoteStore, ServerAddress};
use crate::store::{DispatchStore, StoreError};
use crate::words::{self, Key, Lang, problem::say};

/// What the console does once the account is in: read what the first frame needs through
/// the store (on the door's thread), and say where its files go.
pub type Then =
    std::sync::Arc<dyn Fn(Box<dyn DispatchStore>) -> Result<Start, StoreError> + Send + Sync>;

/// About the width of the form's labels and fields.
const FORM_WIDTH: f32 = 300.0;

/// The login form, and the login under way.
pub struct Door {
    address: ServerAddress,
    pub login: String,
    pub password: String,
    then: Then,
    trying: Option<Receiver<Result<Start, StoreError>>>,
    problem: Option<StoreError>,
    /// The keyboard was given to the first empty field (once: the user moves it after).
    focused: bool,
}

impl Door {
    /// A door to `address`, its login field filled with the one in the address or the one
    /// that last got in.
    pub fn new(address: ServerAddress, remembered: Option<&str>, then: Then) -> Door {
        let login = if address.login.is_empty() {
            remembered.unwrap_or_default().to_string()
        } else {
            address.login.clone()
        };
        Door {
            address,
            login,
            password: String::new(),
            then,
            trying: None,
            problem: None,
            focused: false,
        }
    }

    /// Try the typed login on a thread (the password leaves the form with it).
    fn knock(&mut self, ctx: &egui::Context) {
        let then = std::sync::Arc::clone(&self.then);
        let address = self.address.clone().with_login(self.login.trim());
        let password = std::mem::take(&mut self.password);
        let (tx, rx) = std::sync::mpsc::channel();
        self.problem = None;
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("heatdesk-login".into())
            .spawn(move || {
                // then the first frame's data, through the store just opened
                let opened =
                    RemoteStore::login(&address, &password).and_then(|store| then(Box::new(store)));
                let _ = tx.send(opened);
                // the window sleeps without input: wake it to take the answer in
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => self.trying = Some(rx),
            Err(e) => {
                self.problem = Some(StoreError::Unreachable {
                    server: self.address.to_string(),
                    detail: e.to_string(),
                })
            }
        }
    }

    /// The console's start, once the server let the account in and it has arrived.
    fn arrived(&mut self) -> Option<Start> {
        let rx = self.trying.as_ref()?;
        match rx.try_recv() {
            Ok(Ok(start)) => {
                self.trying = None;
                Some(start)
            }
            Ok(Err(e)) => {
                tracing::info!(server = %self.address, error = %e, "login refused");
                self.trying = None;
                // the keyboard back to the password, for another try
                self.focused = false;
                self.problem = Some(e);
                None
            }
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.trying = None;
                None
            }
        }
    }

    /// Draw the form; the start once the account is in.
    pub fn show(&mut self, ui: &mut Ui, lang: Lang) -> Option<Start> {
        let start = self.arrived();
        if start.is_some() {
            return start;
        }
        let tr = |k| words::t(lang, k);
        let busy = self.trying.is_some();
        if busy {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
        }
        egui::CentralPanel::default().show(ui, |ui| {
            ui.vertical_centered(|ui| {
                ui.add_space((ui.available_height() * 0.25).max(24.0));
                ui.heading(RichText::new(tr(Key::ServerLogin)).size(24.0));
                ui.label(RichText::new(self.address.base.as_str()).color(Color32::GRAY));
                ui.add_space(16.0);
                let mut submit = false;
                // the form's two rows, centred under the heading
                ui.horizontal(|ui| {
                    ui.add_space(((ui.available_width() - FORM_WIDTH) / 2.0).max(0.0));
                    egui::Grid::new("door")
                        .num_columns(2)
                        .spacing([10.0, 8.0])
                        .show(ui, |ui| {
                            let named = ui.label(tr(Key::LoginName));
                            let login = ui
                                .add_enabled(
                                    !busy,
                                    egui::TextEdit::singleline(&mut self.login)
                                        .desired_width(220.0),
                                )
                                .labelled_by(named.id);
                            ui.end_row();
                            let named = ui.label(tr(Key::Password));
                            let password = ui
                                .add_enabled(
                                    !busy,
                                    egui::TextEdit::singleline(&mut self.password)
                                        .password(true)
                                        .desired_width(220.0),
                                )
                                .labelled_by(named.id);
                            ui.end_row();
                            // the first empty field gets the keyboard
                            if !std::mem::replace(&mut self.focused, true) {
                                if self.login.is_empty() {
                                    login.request_focus();
                                } else {
                                    password.request_focus();
                                }
                            }
                            submit = password.lost_focus()
                                && ui.input(|i| i.key_pressed(egui::Key::Enter));
                        });
                });
                ui.add_space(12.0);
                let ready = !busy && !self.login.trim().is_empty() && !self.password.is_empty();
                let button = ui.add_enabled(
                    ready,
                    egui::Button::new(RichText::new(tr(Key::LogIn)).size(16.0))
                        .min_size(egui::vec2(120.0, 32.0)),
                );
                if (button.clicked() || submit) && ready {
                    self.knock(ui.ctx());
                }
                if self.trying.is_some() {
                    ui.add_space(8.0);
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(tr(Key::LoggingIn));
                    });
                }
                if let Some(e) = &self.problem {
                    ui.add_space(8.0);
                    ui.label(
                        RichText::new(say(lang, &e.problem()))
                            .color(Color32::from_rgb(0xc6, 0x28, 0x28)),
                    );
                }
            });
        });
        // a login and a password are typed as they are, never through an input method: the
        // password stays out of it, and an X11 desktop without one (Xvfb) hangs on its focus
        ui.ctx().output_mut(|o| o.ime = None);
        None
    }

    /// The login that got in (remembered for this server).
    pub fn remembered(&self) -> (String, String) {
        (self.address.base.clone(), self.login.trim().to_string())
    }
}

/// The window: the door, then the console behind it.
pub struct Entrance {
    door: Door,
    pub console: Option<Box<HeatDeskApp>>,
    prefs: Option<Prefs>,
}

impl Entrance {
    pub fn new(door: Door, prefs: Prefs) -> Entrance {
        Entrance {
            door,
            console: None,
            prefs: Some(prefs),
        }
    }

    pub fn door(&mut self) -> &mut Door {
        &mut self.door
    }

    pub fn show(&mut self, ui: &mut Ui) {
        if let Some(app) = &mut self.console {
            app.show(ui);
            return;
        }
        // the console's language, chosen here too
        if let Some(prefs) = &mut self.prefs {
            egui::Panel::top("door_lang").show(ui, |ui| {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.selectable_value(&mut prefs.lang, Lang::En, "English");
                    ui.selectable_value(&mut prefs.lang, Lang::Zh, "中文");
                });
            });
        }
        let lang = self.prefs.as_ref().map_or(Lang::Zh, |p| p.lang);
        if let Some(start) = self.door.show(ui, lang)
            && let Some(mut prefs) = self.prefs.take()
        {
            let (server, login) = self.door.remembered();
            prefs.server_logins.insert(server, login);
            self.console = Some(Box::new(super::console_app(start, prefs, ui.ctx())));
            ui.ctx().request_repaint();
        }
    }
}

impl eframe::App for Entrance {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        match (&mut self.console, &self.prefs) {
            (Some(app), _) => eframe::App::save(app.as_mut(), storage),
            (None, Some(prefs)) => eframe::set_value(storage, eframe::APP_KEY, prefs),
            (None, None) => {}
        }
    }
}
