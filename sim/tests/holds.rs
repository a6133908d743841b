//! `/_sim/holds`: a DR deployment held at a step stays there past every deadline and goes on
//! with its remaining time once released; a KSYS move held right after it started pauses
//! both its output stream and its effects on the world until released; the control's own
//! errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::dr::Dr;
use russh::ChannelMsg;
use serde_json::{Value, json};

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

async fn arm(dr: &Dr, point: &str) {
    let (status, body) = dr
        .control(
            reqwest::Method::POST,
            "holds",
            Some(json!({ "point": point })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["reached"], false, "{body}");
}

/// Waits (in the emulator, up to a minute) until the hold has stopped something.
async fn reached(dr: &Dr, point: &str) -> Value {
    let (status, body) = dr
        .control(
            reqwest::Method::GET,
            &format!("holds/{point}?wait_seconds=60"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reached"], true, "the hold was never reached: {body}");
    body
}

async fn release(dr: &Dr, point: &str) {
    let (status, body) = dr
        .control(reqwest::Method::DELETE, &format!("holds/{point}"), None)
        .await;
    assert_eq!(status, 204, "{body}");
}

/// Waits until the emulator's clock (the same wall clock) has passed `deadline_ms`.
async fn until_past(deadline_ms: u64) {
    while now_ms() <= deadline_ms {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn numbers(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_deployment_held_at_a_step_stays_there_and_resumes_with_its_remaining_time() {
    let dr = Dr::fast().await;
    arm(&dr, "dra.deploy.step3").await;
    let guid = dr.start_deploy("dr-held", false).await;
    let hold = reached(&dr, "dra.deploy.step3").await;
    assert_eq!(hold["stopped"][0]["subject"], guid.as_str(), "{hold}");
    let internal = dr.sim_get(&format!("objects/dra/deployments/{guid}")).await;
    let before = numbers(&internal["progress"]["_primary_steps_at"]);
    assert_eq!(before.len(), 4);

    // Every step's time passes while it is held: it stays at step 3.
    until_past(*before.last().unwrap()).await;
    let (_, op) = dr
        .get(&format!("/dra/drautomation/v1/last_operation/{guid}"))
        .await;
    assert_eq!(op["status"], "Running", "{op}");
    assert!(
        op["primary_description"]
            .as_str()
            .unwrap()
            .starts_with("3/5: "),
        "{op}"
    );

    let released_after = now_ms();
    release(&dr, "dra.deploy.step3").await;
    let (_, holds) = dr.control(reqwest::Method::GET, "holds", None).await;
    assert_eq!(holds, json!({"holds": []}));
    dr.until(
        &format!("/dra/drautomation/v1/last_operation/{guid}"),
        |b| b["status"] == "Active",
    )
    .await;
    // Step 3 took its whole time again after the release; the later steps kept theirs.
    let internal = dr.sim_get(&format!("objects/dra/deployments/{guid}")).await;
    let after = numbers(&internal["progress"]["_primary_steps_at"]);
    assert_eq!(
        after[..2],
        before[..2],
        "steps before the hold are untouched"
    );
    assert!(
        after[2] >= released_after + (before[2] - before[1]),
        "{after:?}"
    );
    assert_eq!(after[3] - after[2], before[3] - before[2]);
    dr.sim.shutdown().await;
}

#[tokio::test]
async fn a_move_held_after_it_started_pauses_its_output_and_effects_until_released() {
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-hold-move", false).await;
    let (_jump, host) = dr.root(&d.primary).await;
    dr.with_sites(
        &host,
        &[
            "-f manage vm rhel-web-01",
            "-f discover workgroup rhel-web-01_WG",
        ],
    )
    .await;
    let point = "ksys.move.rhel-web-01_WG";
    arm(&dr, point).await;

    // The move runs on its own channel; every message is noted with whether the hold had
    // been released when it arrived.
    let released = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let mut channel = host.channel_open_session().await.unwrap();
    channel
        .exec(
            true,
            "/opt/IBM/ksys/ksysmgr -f move workgroup rhel-web-01_WG to=us-east",
        )
        .await
        .unwrap();
    channel.eof().await.unwrap();
    let reader = {
        let (released, seen) = (released.clone(), seen.clone());
        tokio::spawn(async move {
            while let Some(msg) = channel.wait().await {
                let text = match msg {
                    ChannelMsg::Data { data } => String::from_utf8_lossy(&data).into_owned(),
                    ChannelMsg::ExitStatus { exit_status } => format!("exit {exit_status}"),
                    _ => continue,
                };
                let after = released.load(Ordering::SeqCst);
                for line in text.lines() {
                    seen.lock().unwrap().push((line.to_owned(), after));
                }
            }
        })
    };

    let hold = reached(&dr, point).await;
    let op_id = hold["stopped"][0]["subject"].as_str().unwrap().to_owned();
    let op = dr
        .sim_get(&format!("objects/ksys/operations/{op_id}"))
        .await;
    assert_eq!(op["kind"], "move", "{op}");
    // The move's whole time passes while it is held: no effect is applied.
    until_past(op["_finish_ms"].as_u64().unwrap()).await;
    let wg = dr
        .collection("ksys", "workgroups")
        .await
        .into_iter()
        .find(|w| w["name"] == "rhel-web-01_WG")
        .unwrap();
    assert_eq!(
        (&wg["state"], &wg["active_site"]),
        (&json!("MOVE_IN_PROGRESS"), &json!("us-south"))
    );
    assert_eq!(dr.pvm("rhel-web-01").await["status"], "ACTIVE");
    assert_eq!(dr.pvm("rhel-web-01_BackUp").await["status"], "SHUTOFF");

    released.store(true, Ordering::SeqCst);
    release(&dr, point).await;
    reader.await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let when = |needle: &str| {
        seen.iter()
            .find(|(l, _)| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in {seen:?}"))
            .1
    };
    assert!(
        !when("move has started for Workgroup rhel-web-01_WG"),
        "{seen:?}"
    );
    assert!(
        when("Shutdown has completed for VM rhel-web-01"),
        "{seen:?}"
    );
    assert!(
        when("move has completed for Workgroup rhel-web-01_WG"),
        "{seen:?}"
    );
    assert!(when("exit 0"), "{seen:?}");
    let wg = dr
        .collection("ksys", "workgroups")
        .await
        .into_iter()
        .find(|w| w["name"] == "rhel-web-01_WG")
        .unwrap();
    assert_eq!(
        (&wg["state"], &wg["active_site"]),
        (&json!("READY_TO_MOVE"), &json!("us-east"))
    );
    assert_eq!(dr.pvm("rhel-web-01_BackUp").await["status"], "ACTIVE");
    dr.sim.shutdown().await;
}

#[tokio::test]
async fn the_holds_control_checks_what_it_is_given() {
    let dr = Dr::fast().await;
    let (status, body) = dr
        .control(
            reqwest::Method::POST,
            "holds",
            Some(json!({"point": "dra.deploy.step9"})),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("unknown hold point \"dra.deploy.step9\""),
        "{body}"
    );
    let (status, _) = dr
        .control(reqwest::Method::POST, "holds", Some(json!({})))
        .await;
    assert_eq!(status, 400);
    let (status, _) = dr
        .control(reqwest::Method::DELETE, "holds/ksys.move.erp", None)
        .await;
    assert_eq!(status, 404);
    let (status, _) = dr
        .control(reqwest::Method::GET, "holds/ksys.move.erp", None)
        .await;
    assert_eq!(status, 404);

    arm(&dr, "ksys.move.erp").await;
    let (status, body) = dr
        .control(
            reqwest::Method::POST,
            "holds",
            Some(json!({"point": "ksys.move.erp"})),
        )
        .await;
    assert_eq!(status, 200, "arming twice: {body}");
    let (status, body) = dr
        .control(
            reqwest::Method::GET,
            "holds/ksys.move.erp?wait_seconds=999",
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    // Nothing reaches the point: a bounded wait answers with reached = false.
    let (_, body) = dr
        .control(
            reqwest::Method::GET,
            "holds/ksys.move.erp?wait_seconds=0",
            None,
        )
        .await;
    assert_eq!(body["reached"], false);
    arm(&dr, "dra.standby.step2").await;
    let (_, body) = dr.control(reqwest::Method::GET, "holds", None).await;
    let points: Vec<&str> = common::texts(&body["holds"], "point");
    assert_eq!(points, ["dra.standby.step2", "ksys.move.erp"]);

    // A reset drops every hold.
    dr.control(reqwest::Method::POST, "reset", Some(json!({})))
        .await;
    let (_, body) = dr.control(reqwest::Method::GET, "holds", None).await;
    assert_eq!(body, json!({"holds": []}));
    arm(&dr, "ksys.move.erp").await;
    let (status, _) = dr.control(reqwest::Method::DELETE, "holds", None).await;
    assert_eq!(status, 204);
    let (_, body) = dr.control(reqwest::Method::GET, "holds", None).await;
    assert_eq!(body, json!({"holds": []}));
    dr.sim.shutdown().await;
}
