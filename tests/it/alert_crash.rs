//! An alert across a `kill -9` of the sender (issue 16): the detractor's alert is claimed,
//! the sender dies with it in flight at the mail server, and the next run finishes it. The
//! manager gets it once, or twice only when the outbox flags it "possibly sent twice", as
//! for invitations.

use std::process::Stdio;
use std::time::Duration;

use ecoute::cases::ALERT_CHANNEL;
use ecoute::dispatch::outbox::WaveStatus;
use ecoute::store::Store;
use jiff::{SignedDuration, Timestamp};

use crate::harness::{Project, SmtpServer, signal};
use crate::reports::import;
use crate::support::{TestDb, both_backends};

const MANAGER: &str = "logistique@maison-dupont.example";

/// The alert wave of the example program, once there is one.
async fn alert_wave(store: &Store) -> Option<WaveStatus> {
    let (waves, _) = store
        .outbox_status(Some("fidelite-clients"), 0)
        .await
        .expect("status");
    waves
        .into_iter()
        .find(|w| w.wave.channel_id == ALERT_CHANNEL)
}

both_backends!(a_detractors_alert_reaches_the_manager_once_across_a_kill_9_of_the_sender);

async fn a_detractors_alert_reaches_the_manager_once_across_a_kill_9_of_the_sender(db: TestDb) {
    // Each reply to DATA takes 3 s: the sender is caught with the alert in flight.
    let smtp = SmtpServer::start(&["--delay", "3"]);
    let project = Project::example().database(db).mail(&smtp.url());
    project.write(
        "detracteur.csv",
        "submitted_at,response_id,email,recommandation,satisfaction\n\
         2026-11-04,k1,camille.martin@example.org,2,1\n",
    );
    import(&project, "livraison", "detracteur.csv")
        .success()
        .stdout_has("imported");
    let store = project.store().await;
    assert_eq!(store.cases(None).await.expect("cases").len(), 1);

    let mut sender = project
        .args(["send", "fidelite-clients", "--no-plan", "--lease", "5"])
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ecoute send");
    // Kill it once the alert is claimed (and, most of the time, sitting in the server's
    // 3 s DATA delay); the waits are safety nets, any moment of the kill must pass.
    let mut claimed = false;
    for _ in 0..400 {
        if alert_wave(&store)
            .await
            .is_some_and(|w| w.states.get("sending").is_some_and(|n| *n > 0))
        {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(claimed, "the sender claimed the alert");
    tokio::time::sleep(Duration::from_millis(500)).await;
    signal(&sender, "-KILL");
    let _ = sender.wait();

    // The next run, a minute later on its clock: past the dead sender's 5 s lease.
    let later = (Timestamp::now() + SignedDuration::from_secs(60)).to_string();
    project
        .args([
            "send",
            "fidelite-clients",
            "--no-plan",
            "--lease",
            "5",
            "--at",
            &later,
        ])
        .success();
    // The dead sender's message may still land after its DATA delay.
    std::thread::sleep(Duration::from_secs(4));

    let copies = smtp
        .received()
        .iter()
        .filter(|(_, to)| to == MANAGER)
        .count();
    let wave = alert_wave(&store).await.expect("the alert wave");
    assert_eq!(wave.states.get("sent"), Some(&1), "{wave:?}");
    assert!(copies >= 1, "the alert reached the manager");
    assert!(
        copies == 1 || (copies == 2 && wave.possibly_duplicate == 1),
        "{copies} copies, {} flagged possibly sent twice",
        wave.possibly_duplicate
    );
    eprintln!(
        "alert across kill -9: {copies} cop{} at the server, {} flagged",
        if copies == 1 { "y" } else { "ies" },
        wave.possibly_duplicate
    );
    store.close().await;
}
