//! The pitfall demos from the window, under egui_kittest: each runs on
//! real sockets from its button and its measured effect is on screen.
//! One test runs them one after another, so that no two demos disturb
//! each other's timings.

mod gui_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use gui_common::{ScriptedChooser, assert_shown, click, harness};
use tcp_playground::net::pitfall::{Pitfall, PitfallReport};

#[test]
fn every_pitfall_demo_runs_from_its_button_and_shows_its_effect() {
    let folder = tempfile::tempdir().unwrap();
    let mut h = harness(folder.path(), Arc::new(ScriptedChooser::default()));
    h.step();
    click(&mut h, "Pitfalls");
    for (pitfall, effect) in [
        (Pitfall::Glued, "The tutorial's client hangs here forever."),
        (Pitfall::Nagle, "times slower than one write."),
        (Pitfall::Backlog, "backlog 5: of 50 clients"),
        (Pitfall::TimeWait, "without SO_REUSEADDR: failed"),
        (Pitfall::EmptyRecv, "because recv returned 0 bytes (EOF)"),
    ] {
        h.state_mut().pitfalls.select(pitfall);
        h.step();
        h.get_by_label("Run the demo").click();
        // A demo takes a few seconds; the window keeps drawing meanwhile.
        let deadline = Instant::now() + Duration::from_secs(60);
        while h.state().pitfalls.report(pitfall).is_none() {
            assert!(Instant::now() < deadline, "{pitfall:?} never finished");
            h.step();
            std::thread::sleep(Duration::from_millis(10));
        }
        h.step();
        h.step();
        let report = h.state().pitfalls.report(pitfall).unwrap();
        assert!(
            !matches!(report, PitfallReport::Failed { .. }),
            "{pitfall:?}: {report:?}"
        );
        assert_shown(&h, effect);
        assert_shown(&h, "What a correct program does:");
    }
    // The figures behind the sentences: the lesson each demo teaches.
    let app = h.state();
    let Some(PitfallReport::Glued(glued)) = app.pitfalls.report(Pitfall::Glued) else {
        panic!("no glued report")
    };
    assert!(glued.unpaced.hung && glued.paced_completed == glued.paced_runs);
    let Some(PitfallReport::TimeWait(tw)) = app.pitfalls.report(Pitfall::TimeWait) else {
        panic!("no TIME_WAIT report")
    };
    assert!(tw.plain_bind.is_err() && tw.reuse_bind.is_ok());
}
