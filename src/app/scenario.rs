//! Scenarios: the tutorial's lessons, played in one click at a pace a
//! class can follow, with pause, step and replay.
//!
//! A [`Scenario`] is a list of [`Step`]s ("start the server", "Client1
//! sends its name", …). The [`Player`] takes one step, waits until its
//! effect can be seen (the server listens, the reply and the next prompt
//! arrived, the connection closed), waits a little longer so the class can
//! read it, and takes the next. It acts on the window through [`Stage`],
//! the few things a teacher would do by hand, so the same player drives
//! the real window and, in its unit tests, a pretend one.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::time::{Duration, Instant};

use rust_i18n::t;

/// What a scenario can do and see in the window: the buttons a teacher
/// presses, and what they would look at before pressing the next one.
pub trait Stage {
    /// Presses Start; false if the server could not start (the server
    /// panel says why).
    fn start_server(&mut self) -> bool;
    /// Presses Stop.
    fn stop_server(&mut self);
    /// True while the server listens.
    fn server_listening(&self) -> bool;
    /// True once the server has stopped (every thread finished).
    fn server_stopped(&self) -> bool;
    /// Opens a client tab that connects to the server; returns its key.
    fn open_client(&mut self) -> u64;
    /// Connects tab `key` again, to wherever the server listens now.
    fn reconnect(&mut self, key: u64);
    /// Shows tab `key` and types `text` in its name field.
    fn type_name(&mut self, key: u64, text: &str);
    /// Presses Send in tab `key`.
    fn send(&mut self, key: u64);
    /// True while tab `key`'s server waits for a name.
    fn waits_for_name(&self, key: u64) -> bool;
    /// True once tab `key`'s connection has closed.
    fn closed(&self, key: u64) -> bool;
    /// Closes the tabs in `keys` (a replay starts from no client).
    fn close_tabs(&mut self, keys: &[u64]);
}

/// One step of a scenario. Clients are numbered in the order the
/// scenario opens them (0 is its first client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    StartServer,
    StopServer,
    OpenClient,
    /// Client `n` types `text` and sends it (`exit` ends its dialogue; an
    /// empty name is not sent, as in the tutorial's client).
    Send(usize, &'static str),
    /// Client `n` connects again (after the server restarted).
    Reconnect(usize),
}

impl Step {
    /// What the step does, as the scenario panel lists it.
    pub fn describe(self) -> Cow<'static, str> {
        match self {
            Step::StartServer => t!("scenario.step.start"),
            Step::StopServer => t!("scenario.step.stop"),
            Step::OpenClient => t!("scenario.step.open"),
            Step::Send(n, "") => t!("scenario.step.send_empty", client = n + 1),
            Step::Send(n, "exit") => t!("scenario.step.send_exit", client = n + 1),
            Step::Send(n, text) => t!("scenario.step.send", client = n + 1, text = text),
            Step::Reconnect(n) => t!("scenario.step.reconnect", client = n + 1),
        }
    }
}

/// The scenarios, from the tutorial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// One server, one client: Alice, Bob, an empty name, exit.
    OneClient,
    /// One server, three clients: each connects, sends its name, exits.
    ThreeClients,
    /// The server restarts while two clients are connected.
    Restart,
}

impl Scenario {
    /// Every scenario, as the panel lists them.
    pub const ALL: [Scenario; 3] = [
        Scenario::OneClient,
        Scenario::ThreeClients,
        Scenario::Restart,
    ];

    /// The scenario's title.
    pub fn title(self) -> Cow<'static, str> {
        match self {
            Scenario::OneClient => t!("scenario.one_client"),
            Scenario::ThreeClients => t!("scenario.three_clients"),
            Scenario::Restart => t!("scenario.restart"),
        }
    }

    /// What the class should watch for.
    pub fn lesson(self) -> Cow<'static, str> {
        match self {
            Scenario::OneClient => t!("scenario.one_client_lesson"),
            Scenario::ThreeClients => t!("scenario.three_clients_lesson"),
            Scenario::Restart => t!("scenario.restart_lesson"),
        }
    }

    /// The steps, in order.
    pub fn steps(self) -> &'static [Step] {
        use Step::*;
        match self {
            Scenario::OneClient => &[
                StartServer,
                OpenClient,
                Send(0, "Alice"),
                Send(0, "Bob"),
                Send(0, ""),
                Send(0, "exit"),
            ],
            Scenario::ThreeClients => &[
                StartServer,
                OpenClient,
                OpenClient,
                OpenClient,
                Send(0, "Client1"),
                Send(1, "Client2"),
                Send(2, "Client3"),
                Send(0, "exit"),
                Send(1, "exit"),
                Send(2, "exit"),
            ],
            Scenario::Restart => &[
                StartServer,
                OpenClient,
                OpenClient,
                Send(0, "Alice"),
                StopServer,
                StartServer,
                Reconnect(0),
                Reconnect(1),
                Send(1, "Bob"),
                Send(0, "exit"),
                Send(1, "exit"),
            ],
        }
    }
}

/// The default time between two steps: long enough to see each one.
pub const DEFAULT_PACE: Duration = Duration::from_millis(1500);

/// How long a step may take to show its effect before the player stops
/// and says so (a server that cannot start, a port in use, …).
pub const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the player is in a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting to start step `next` (until `at`).
    Ready { at: Instant },
    /// The name is typed; it is sent at `at` (so the class sees it typed).
    Typed { at: Instant },
    /// The step was taken at `since`; waiting for its effect.
    Waiting { since: Instant },
}

/// Plays one scenario at a time.
pub struct Player {
    scenario: Option<Scenario>,
    /// The step being taken (or next to be taken).
    next: usize,
    phase: Phase,
    paused: bool,
    /// The keys of the tabs this run opened, by client number.
    clients: Vec<u64>,
    /// Why the run stopped early, if it did.
    stuck: Option<String>,
    /// The time between two steps.
    pub pace: Duration,
}

impl Default for Player {
    fn default() -> Self {
        Player {
            scenario: None,
            next: 0,
            phase: Phase::Ready { at: Instant::now() },
            paused: false,
            clients: Vec::new(),
            stuck: None,
            pace: DEFAULT_PACE,
        }
    }
}

impl Player {
    /// The scenario loaded, if any.
    pub fn scenario(&self) -> Option<Scenario> {
        self.scenario
    }

    /// The index of the step being (or next to be) taken; the number of
    /// steps once finished.
    pub fn position(&self) -> usize {
        self.next
    }

    /// True once every step has been taken and shown.
    pub fn is_finished(&self) -> bool {
        self.scenario.is_some_and(|s| self.next >= s.steps().len())
    }

    /// True while paused (or stuck).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Why the run stopped early, if it did.
    pub fn stuck(&self) -> Option<&str> {
        self.stuck.as_deref()
    }

    /// The keys of the tabs this run opened, by client number.
    pub fn clients(&self) -> &[u64] {
        &self.clients
    }

    /// Loads `scenario` and plays it from the start. The tabs of a
    /// previous run are closed and its server stopped first.
    pub fn play(&mut self, scenario: Scenario, stage: &mut dyn Stage) {
        stage.close_tabs(&self.clients);
        if stage.server_listening() {
            stage.stop_server();
        }
        *self = Player {
            scenario: Some(scenario),
            pace: self.pace,
            ..Player::default()
        };
    }

    /// Plays the loaded scenario again from the start.
    pub fn replay(&mut self, stage: &mut dyn Stage) {
        if let Some(scenario) = self.scenario {
            self.play(scenario, stage);
        }
    }

    /// Pauses, or goes on from where it was.
    pub fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        if !self.paused {
            self.stuck = None;
        }
    }

    /// While paused: takes the next step now (and stays paused).
    pub fn step(&mut self, stage: &mut dyn Stage, now: Instant) {
        self.paused = true;
        self.stuck = None;
        // Finish the step under way first, if its effect is already seen.
        match self.phase {
            Phase::Typed { .. } => self.send_typed(stage, now),
            Phase::Waiting { .. } => {
                if self.effect_seen(stage) {
                    self.advance(now);
                    self.take(stage, now);
                }
            }
            Phase::Ready { .. } => self.take(stage, now),
        }
    }

    /// Stops playing; the window stays as it is.
    pub fn stop(&mut self) {
        self.scenario = None;
        self.paused = false;
        self.stuck = None;
    }

    /// Moves the scenario on if it is time; returns how long until it
    /// should be asked again (`None`: nothing to do until the user acts).
    pub fn tick(&mut self, stage: &mut dyn Stage, now: Instant) -> Option<Duration> {
        if self.scenario.is_none() || self.is_finished() {
            return None;
        }
        match self.phase {
            Phase::Waiting { since } => {
                if self.effect_seen(stage) {
                    self.advance(now);
                } else if now.duration_since(since) > STEP_TIMEOUT {
                    self.stuck =
                        Some(t!("scenario.stuck", step = self.current_step_text()).into_owned());
                    self.paused = true;
                    return None;
                }
            }
            _ if self.paused => return None,
            Phase::Ready { at } if now >= at => self.take(stage, now),
            Phase::Typed { at } if now >= at => self.send_typed(stage, now),
            _ => {}
        }
        if self.is_finished() {
            return None;
        }
        // Effects arrive as network events (which repaint on their own);
        // the pace needs a timer.
        Some(match self.phase {
            Phase::Ready { at } | Phase::Typed { at } => at.saturating_duration_since(now),
            Phase::Waiting { .. } => Duration::from_millis(50),
        })
    }

    fn current_step_text(&self) -> String {
        self.current()
            .map(|s| s.describe().into_owned())
            .unwrap_or_default()
    }

    fn current(&self) -> Option<Step> {
        self.scenario?.steps().get(self.next).copied()
    }

    fn client(&self, n: usize) -> Option<u64> {
        self.clients.get(n).copied()
    }

    /// Takes the current step.
    fn take(&mut self, stage: &mut dyn Stage, now: Instant) {
        let Some(step) = self.current() else { return };
        match step {
            Step::StartServer if !stage.server_listening() => {
                if !stage.server_stopped() {
                    // The last run's server is still stopping (its port
                    // is not free yet): try again in a moment.
                    self.phase = Phase::Ready {
                        at: now + Duration::from_millis(20),
                    };
                    return;
                }
                if !stage.start_server() {
                    self.stuck = Some(t!("scenario.no_server").into_owned());
                    self.paused = true;
                    return;
                }
            }
            Step::StartServer => {}
            Step::StopServer => stage.stop_server(),
            Step::OpenClient => {
                let key = stage.open_client();
                self.clients.push(key);
            }
            Step::Reconnect(n) => {
                if let Some(key) = self.client(n) {
                    stage.reconnect(key);
                }
            }
            Step::Send(n, text) => {
                if let Some(key) = self.client(n) {
                    stage.type_name(key, text);
                }
                // The class sees the name typed, then sent.
                self.phase = Phase::Typed {
                    at: now + self.pace / 2,
                };
                return;
            }
        }
        self.phase = Phase::Waiting { since: now };
    }

    fn send_typed(&mut self, stage: &mut dyn Stage, now: Instant) {
        if let Some(Step::Send(n, _)) = self.current()
            && let Some(key) = self.client(n)
        {
            stage.send(key);
        }
        self.phase = Phase::Waiting { since: now };
    }

    /// True when the current step's effect can be seen.
    fn effect_seen(&self, stage: &dyn Stage) -> bool {
        let Some(step) = self.current() else {
            return true;
        };
        let client = |n| self.client(n);
        match step {
            Step::StartServer => stage.server_listening(),
            Step::StopServer => stage.server_stopped(),
            Step::OpenClient => {
                // The client this step opened: the last one.
                self.clients
                    .last()
                    .is_some_and(|&k| stage.waits_for_name(k))
            }
            Step::Reconnect(n) => client(n).is_some_and(|k| stage.waits_for_name(k)),
            // An empty name is not sent: the tab asks again at once.
            Step::Send(_, "") => true,
            Step::Send(n, "exit") => client(n).is_none_or(|k| stage.closed(k)),
            Step::Send(n, _) => client(n).is_none_or(|k| stage.waits_for_name(k)),
        }
    }

    fn advance(&mut self, now: Instant) {
        self.next += 1;
        self.phase = Phase::Ready {
            at: now + self.pace,
        };
    }

    /// The scenario panel: the scenarios to choose from, and the steps of
    /// the one loaded with the current one marked. Returns what the user
    /// asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<PlayerAction> {
        let mut action = None;
        ui.label(t!("scenario.choose"));
        for scenario in Scenario::ALL {
            if ui
                .button(scenario.title())
                .on_hover_text(scenario.lesson())
                .clicked()
            {
                action = Some(PlayerAction::Play(scenario));
            }
        }
        let mut seconds = self.pace.as_secs_f32();
        let label = ui.label(t!("scenario.pace"));
        if ui
            .add(egui::Slider::new(&mut seconds, 0.0..=5.0).suffix(" s"))
            .labelled_by(label.id)
            .changed()
        {
            self.pace = Duration::from_secs_f32(seconds);
        }
        let Some(scenario) = self.scenario else {
            return action;
        };
        ui.separator();
        ui.strong(scenario.title());
        ui.label(scenario.lesson());
        ui.horizontal(|ui| {
            let finished = self.is_finished();
            let pause_text = if self.paused {
                t!("scenario.resume")
            } else {
                t!("scenario.pause")
            };
            if ui
                .add_enabled(!finished, egui::Button::new(pause_text))
                .clicked()
            {
                action = Some(PlayerAction::TogglePause);
            }
            if ui
                .add_enabled(!finished, egui::Button::new(t!("scenario.step_button")))
                .on_hover_text(t!("scenario.step_hint"))
                .clicked()
            {
                action = Some(PlayerAction::Step);
            }
            if ui.button(t!("scenario.replay")).clicked() {
                action = Some(PlayerAction::Replay);
            }
        });
        if let Some(why) = &self.stuck {
            ui.colored_label(ui.visuals().error_fg_color, why);
        }
        egui::Grid::new("scenario steps")
            .num_columns(2)
            .show(ui, |ui| {
                for (i, step) in scenario.steps().iter().enumerate() {
                    // Done, now, to come (the marks are in the monospace
                    // font, which has them).
                    let (mark, text) = match i.cmp(&self.next) {
                        std::cmp::Ordering::Less => {
                            ("√", egui::RichText::new(step.describe()).weak())
                        }
                        std::cmp::Ordering::Equal => {
                            ("▶", egui::RichText::new(step.describe()).strong())
                        }
                        std::cmp::Ordering::Greater => (" ", egui::RichText::new(step.describe())),
                    };
                    ui.monospace(format!("{mark} {:>2}.", i + 1));
                    ui.label(text);
                    ui.end_row();
                }
            });
        if self.is_finished() {
            ui.label(egui::RichText::new(t!("scenario.finished")).strong());
        }
        action
    }
}

/// What the scenario panel asks the window to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerAction {
    Play(Scenario),
    TogglePause,
    Step,
    Replay,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pretend window where everything happens at once.
    #[derive(Default)]
    struct Pretend {
        listening: bool,
        tabs: Vec<(u64, bool, bool)>, // key, waits for name, closed
        typed: Vec<(u64, String)>,
        sent: Vec<(u64, String)>,
        next_key: u64,
        closed_tabs: Vec<u64>,
    }

    impl Stage for Pretend {
        fn start_server(&mut self) -> bool {
            self.listening = true;
            true
        }
        fn stop_server(&mut self) {
            self.listening = false;
            for tab in &mut self.tabs {
                tab.1 = false;
                tab.2 = true;
            }
        }
        fn server_listening(&self) -> bool {
            self.listening
        }
        fn server_stopped(&self) -> bool {
            !self.listening
        }
        fn open_client(&mut self) -> u64 {
            self.next_key += 1;
            self.tabs.push((self.next_key, self.listening, false));
            self.next_key
        }
        fn reconnect(&mut self, key: u64) {
            if let Some(tab) = self.tabs.iter_mut().find(|t| t.0 == key) {
                *tab = (key, self.listening, false);
            }
        }
        fn type_name(&mut self, key: u64, text: &str) {
            self.typed.push((key, text.to_owned()));
        }
        fn send(&mut self, key: u64) {
            let text = self
                .typed
                .iter()
                .rev()
                .find(|t| t.0 == key)
                .map(|t| t.1.clone())
                .unwrap_or_default();
            if text.is_empty() {
                return;
            }
            if let Some(tab) = self.tabs.iter_mut().find(|t| t.0 == key)
                && text == "exit"
            {
                *tab = (key, false, true);
            }
            self.sent.push((key, text));
        }
        fn waits_for_name(&self, key: u64) -> bool {
            self.tabs.iter().any(|t| t.0 == key && t.1)
        }
        fn closed(&self, key: u64) -> bool {
            self.tabs.iter().any(|t| t.0 == key && t.2)
        }
        fn close_tabs(&mut self, keys: &[u64]) {
            self.closed_tabs.extend_from_slice(keys);
            self.tabs.retain(|t| !keys.contains(&t.0));
        }
    }

    /// Ticks until the player finishes or asks for nothing more.
    fn run(player: &mut Player, stage: &mut Pretend) -> usize {
        let mut now = Instant::now();
        let mut ticks = 0;
        while let Some(wait) = player.tick(stage, now) {
            now += wait.max(Duration::from_millis(1));
            ticks += 1;
            assert!(ticks < 10_000, "the player never finished");
        }
        ticks
    }

    #[test]
    fn every_scenario_plays_to_its_end_in_order() {
        for scenario in Scenario::ALL {
            let mut stage = Pretend::default();
            let mut player = Player::default();
            player.play(scenario, &mut stage);
            run(&mut player, &mut stage);
            assert!(player.is_finished(), "{scenario:?}");
            assert_eq!(player.stuck(), None);
            assert_eq!(player.position(), scenario.steps().len());
        }
        let mut stage = Pretend::default();
        let mut player = Player::default();
        player.play(Scenario::OneClient, &mut stage);
        run(&mut player, &mut stage);
        let sent: Vec<&str> = stage.sent.iter().map(|s| s.1.as_str()).collect();
        // The empty name is typed, but never sent.
        assert_eq!(sent, ["Alice", "Bob", "exit"]);
        assert_eq!(stage.typed.len(), 4);
    }

    #[test]
    fn the_pace_spaces_the_steps() {
        let mut stage = Pretend::default();
        let mut player = Player {
            pace: Duration::from_secs(2),
            ..Player::default()
        };
        player.play(Scenario::OneClient, &mut stage);
        let start = Instant::now();
        // The first step is taken at once.
        player.tick(&mut stage, start);
        assert!(stage.listening);
        // Its effect is seen; the next waits for the pace.
        let wait = player.tick(&mut stage, start).unwrap();
        assert_eq!(wait, Duration::from_secs(2));
        player.tick(&mut stage, start + Duration::from_secs(1));
        assert!(stage.tabs.is_empty());
        player.tick(&mut stage, start + Duration::from_secs(2));
        assert_eq!(stage.tabs.len(), 1);
    }

    #[test]
    fn pause_holds_and_step_takes_one_step_at_a_time() {
        let mut stage = Pretend::default();
        let mut player = Player::default();
        player.play(Scenario::ThreeClients, &mut stage);
        player.toggle_pause();
        let now = Instant::now();
        assert_eq!(player.tick(&mut stage, now + Duration::from_secs(60)), None);
        assert!(!stage.listening, "a paused player took a step");
        player.step(&mut stage, now);
        assert!(stage.listening);
        player.step(&mut stage, now);
        assert_eq!(stage.tabs.len(), 1);
        assert_eq!(player.position(), 1);
        player.step(&mut stage, now);
        assert_eq!(stage.tabs.len(), 2);
        assert!(player.is_paused());
        // Going on plays the rest.
        player.toggle_pause();
        run(&mut player, &mut stage);
        assert!(player.is_finished());
    }

    #[test]
    fn replay_closes_the_old_tabs_and_starts_again() {
        let mut stage = Pretend::default();
        let mut player = Player::default();
        player.play(Scenario::ThreeClients, &mut stage);
        run(&mut player, &mut stage);
        let first_run = player.clients().to_vec();
        assert_eq!(first_run.len(), 3);
        player.replay(&mut stage);
        assert_eq!(stage.closed_tabs, first_run);
        assert_eq!(player.position(), 0);
        run(&mut player, &mut stage);
        assert!(player.is_finished());
        assert_eq!(stage.tabs.len(), 3);
    }

    #[test]
    fn a_step_whose_effect_never_comes_stops_the_run_and_says_which() {
        /// A server that never listens.
        #[derive(Default)]
        struct Deaf(Pretend);
        impl Stage for Deaf {
            fn start_server(&mut self) -> bool {
                true
            }
            fn stop_server(&mut self) {}
            fn server_listening(&self) -> bool {
                false
            }
            fn server_stopped(&self) -> bool {
                true
            }
            fn open_client(&mut self) -> u64 {
                self.0.open_client()
            }
            fn reconnect(&mut self, key: u64) {
                self.0.reconnect(key)
            }
            fn type_name(&mut self, key: u64, text: &str) {
                self.0.type_name(key, text)
            }
            fn send(&mut self, key: u64) {
                self.0.send(key)
            }
            fn waits_for_name(&self, key: u64) -> bool {
                self.0.waits_for_name(key)
            }
            fn closed(&self, key: u64) -> bool {
                self.0.closed(key)
            }
            fn close_tabs(&mut self, keys: &[u64]) {
                self.0.close_tabs(keys)
            }
        }
        let mut stage = Deaf::default();
        let mut player = Player::default();
        player.play(Scenario::OneClient, &mut stage);
        let now = Instant::now();
        player.tick(&mut stage, now);
        assert!(player.tick(&mut stage, now).is_some());
        assert_eq!(player.tick(&mut stage, now + STEP_TIMEOUT * 2), None);
        assert!(player.is_paused());
        assert!(
            player
                .stuck()
                .is_some_and(|why| why.contains("Start the server"))
        );
    }
}
