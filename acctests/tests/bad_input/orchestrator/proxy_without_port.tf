# proxy_ip is host:port
# stage: validate
# path: proxy_ip
# expect: proxy_ip: "10\.30\.40\.4" must be host:port or IP:port, e\.g\. "10\.30\.40\.4:3128"
# base: orchestrator

resource "dr_orchestrator" "o" {
  proxy_ip = "10.30.40.4"
}
