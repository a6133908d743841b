//! The orchestrator dashboard of dr-cloudsim: `manage_dr`'s `dashboard_url` points at the
//! emulator, and the page shows the DR topology, the managed VMs, the active site and the
//! last DR tests and moves as KSYS runs them, self-contained (no scripts, no external assets).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dr::Dr;
use common::ssh;

async fn fetch(url: &str) -> (u16, String, String) {
    let resp = common::plain_get(url).await;
    let status = resp.status().as_u16();
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (status, kind, resp.text().await.unwrap())
}

#[tokio::test]
async fn the_dashboard_shows_topology_vms_site_and_tests() {
    let dr = Dr::fast().await;
    let d = dr.deploy("dr-board", true).await;
    let sim = &dr.sim;
    let (_, deployment) = dr
        .get(&format!("/dra/drautomation/v1/manage_dr/{}", d.guid))
        .await;
    let url = deployment["dashboard_url"].as_str().unwrap().to_owned();
    assert_eq!(url, format!("{}/dra/dashboard/{}", sim.url(), d.guid));
    let (_, instance) = dr
        .get(&format!("/rc/v2/resource_instances/{}", d.guid))
        .await;

    let (_jump, host) = dr.root(&d.primary).await;
    dr.with_sites(
        &host,
        &[
            "-f manage vm aix-app-01 workgroup=erp",
            "-f manage vm ibmi-db-01 workgroup=db",
            "-f manage vm rhel-web-01 workgroup=web",
            "-f modify workgroup erp priority=High",
            "-f modify workgroup web priority=Low",
            "-f discover site us-south",
        ],
    )
    .await;
    let tab = "# terraform-provider-dr dr_test_schedule=sched-00000001 cron=\"0 2 * * 0\" time_zone=America/Chicago last_result=- finished_at=-\n";
    assert_eq!(ssh::exec(&host, "crontab -", Some(tab)).await.code, Some(0));

    // Before any operation: topology, VMs, primary active, no test yet.
    let (status, kind, html) = fetch(&url).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html"), "{kind}");
    for text in [
        "<!DOCTYPE html>",
        "dr-board",
        "DR topology",
        "slz-dal10-power-workspace",
        "slz-wdc07-power-workspace",
        "slz-dal12-power-workspace",
        "10.51.0.0/24",
        "10.52.0.0/24",
        "10.71.0.0/24",
        "10.61.0.0/24",
        "slz-transit-gateway",
        "dr-board-orchestrator",
        "dr-board-standby",
        "KSYS cluster",
        "aix-app-01",
        "ibmi-db-01",
        "rhel-web-01",
        "badge high",
        "badge low",
        "READY_TO_MOVE",
        "PRIMARY",
        "No DR test has run yet.",
        "0 2 * * 0",
        "America/Chicago",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("src=\"http"), "no external assets");
    assert!(!html.contains("href=\"http"), "no external links to load");

    // After a DR test and a failover: results, and the DR site active.
    for cmd in [
        "-f move site from=us-south to=us-east dr_test=yes",
        "-f cleanup site us-east dr_test=yes",
    ] {
        assert_eq!(dr.ksysmgr(&host, cmd).await.code, Some(0), "{cmd}");
    }
    let (_, _, html) = fetch(&url).await;
    assert!(!html.contains("No DR test has run yet."));
    assert!(html.contains("succeeded"));
    assert!(html.contains("dr_test=yes"));
    assert_eq!(
        dr.ksysmgr(&host, "-f move site from=us-south to=us-east")
            .await
            .code,
        Some(0)
    );
    let (_, _, html) = fetch(&url).await;
    assert!(html.contains("DR site"));
    assert!(html.contains("class=\"site active\""));
    assert!(html.contains(">DR</span>"), "active site badge");
    assert!(html.contains("move site from=us-south to=us-east"));

    // The CRN works too, as in the API; an unknown instance is a 404 page.
    let (status, _, _) = fetch(&format!(
        "{}/dra/dashboard/{}",
        sim.url(),
        instance["crn"]
            .as_str()
            .unwrap()
            .replace(':', "%3A")
            .replace('/', "%2F")
    ))
    .await;
    assert_eq!(status, 200);
    let (status, kind, html) = fetch(&format!(
        "{}/dra/dashboard/00000000-0000-4000-8000-000000000000",
        sim.url()
    ))
    .await;
    assert_eq!(status, 404);
    assert!(kind.starts_with("text/html"));
    assert!(html.contains("Not found"));
    dr.sim.shutdown().await;
}
