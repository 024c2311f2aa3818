//! Tests of the RPC chain and the CLI conventions, against JSON-RPC mocks.
use super::*;
use std::path::PathBuf;

#[test]
fn url_monikers_follow_the_solana_cli() {
    assert_eq!(normalize_url("l"), "http://localhost:8899");
    assert_eq!(normalize_url("localhost"), "http://localhost:8899");
    assert_eq!(normalize_url("d"), "https://api.devnet.solana.com");
    assert_eq!(normalize_url("m"), "https://api.mainnet-beta.solana.com");
    assert_eq!(
        normalize_url("mainnet-beta"),
        "https://api.mainnet-beta.solana.com"
    );
    assert_eq!(normalize_url("t"), "https://api.testnet.solana.com");
    assert_eq!(normalize_url("http://x:1"), "http://x:1");
}

#[test]
fn defaults_come_from_the_cli_config_else_localhost() {
    let dir = std::env::temp_dir().join(format!("bulwark-cli-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("config.yml");
    std::fs::write(
        &cfg,
        "---\njson_rpc_url: \"https://api.devnet.solana.com\"\nwebsocket_url: ''\nkeypair_path: /tmp/k.json\ncommitment: confirmed\n",
    )
    .unwrap();
    assert_eq!(
        resolve_url(None, Some(&cfg)),
        "https://api.devnet.solana.com"
    );
    assert_eq!(
        resolve_url(Some("t"), Some(&cfg)),
        "https://api.testnet.solana.com"
    );
    assert_eq!(
        resolve_keypair_path(None, Some(&cfg)),
        PathBuf::from("/tmp/k.json")
    );
    let missing = dir.join("none.yml");
    assert_eq!(resolve_url(None, Some(&missing)), "http://localhost:8899");
    assert!(resolve_keypair_path(None, Some(&missing)).ends_with(".config/solana/id.json"));
    // Keypair files round-trip in the CLI's JSON format.
    let kp = Keypair::new();
    let path = dir.join("id.json");
    write_keypair_file(&kp, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with('[') && text.split(',').count() == 64);
    assert_eq!(read_keypair_file(&path).unwrap().pubkey(), kp.pubkey());
    std::fs::write(&path, "[1,2,3]").unwrap();
    assert!(read_keypair_file(&path).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn compute_limit_is_usage_plus_a_fifth() {
    assert_eq!(sized_limit(0), None);
    assert_eq!(sized_limit(100_000), Some(120_000));
    assert_eq!(sized_limit(10_001), Some(12_002));
    assert_eq!(sized_limit(2_000_000), Some(MAX_COMPUTE_UNITS));
    let ix = set_compute_unit_limit(120_000);
    assert_eq!(ix.data, [2, 0xC0, 0xD4, 0x01, 0x00]);
}

#[tokio::test]
async fn rpc_chain_decodes_accounts_clock_and_program_accounts_from_json_rpc() {
    use base64::Engine;
    use solana_rpc_client::nonblocking::rpc_client::Mocks;
    use solana_rpc_client_api::request::RpcRequest;
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let owner = bulwark::ID.to_string();
    let mut clock = vec![0u8; 40];
    clock[32..40].copy_from_slice(&1_700_000_123i64.to_le_bytes());
    let key = Pubkey::new_unique();
    let mut mocks = Mocks::new();
    mocks.insert(
        RpcRequest::GetAccountInfo,
        serde_json::json!({"context": {"slot": 1}, "value": {
            "data": [b64(&clock), "base64"], "executable": false,
            "lamports": 1, "owner": "Sysvar1111111111111111111111111111111111111",
            "rentEpoch": 0, "space": 40 }}),
    );
    mocks.insert(
        RpcRequest::GetProgramAccounts,
        serde_json::json!([{ "pubkey": key.to_string(), "account": {
            "data": [b64(&[7, 7, 7, 7, 7, 7, 7, 7, 1]), "base64"], "executable": false,
            "lamports": 1, "owner": owner, "rentEpoch": 0, "space": 9 }}]),
    );
    mocks.insert(
        RpcRequest::GetMinimumBalanceForRentExemption,
        serde_json::json!(1234),
    );
    let client = RpcClient::new_mock_with_mocks("succeeds".into(), mocks);
    let mut chain = RpcChain::with_client(client, Keypair::new());
    assert_eq!(chain.unix_time().await, 1_700_000_123);
    let accts = chain.program_accounts(&[7; 8]).await;
    assert_eq!(accts, vec![(key, vec![7, 7, 7, 7, 7, 7, 7, 7, 1])]);
    assert_eq!(chain.minimum_balance(10).await, 1234);
    assert!(!chain.is_local());
}

/// Answers like the library's mock, except that simulations report
/// 50,000 units and sent transactions are recorded.
struct Recorder {
    inner: solana_rpc_client::mock_sender::MockSender,
    sent: std::sync::Arc<std::sync::Mutex<Vec<Transaction>>>,
}

#[async_trait::async_trait]
impl solana_rpc_client::rpc_sender::RpcSender for Recorder {
    async fn send(
        &self,
        request: solana_rpc_client_api::request::RpcRequest,
        params: serde_json::Value,
    ) -> solana_rpc_client_api::client_error::Result<serde_json::Value> {
        use base64::Engine;
        use solana_rpc_client_api::request::RpcRequest;
        match request {
            RpcRequest::SimulateTransaction => Ok(serde_json::json!({
                "context": {"slot": 1},
                "value": {"err": null, "logs": [], "unitsConsumed": 50_000}
            })),
            RpcRequest::SendTransaction => {
                let b = params[0].as_str().unwrap();
                let bytes = base64::engine::general_purpose::STANDARD.decode(b).unwrap();
                let tx: Transaction = bincode::deserialize(&bytes).unwrap();
                let sig = tx.signatures[0].to_string();
                self.sent.lock().unwrap().push(tx);
                Ok(serde_json::Value::String(sig))
            }
            _ => self.inner.send(request, params).await,
        }
    }
    fn get_transport_stats(&self) -> solana_rpc_client::rpc_sender::RpcTransportStats {
        Default::default()
    }
    fn url(&self) -> String {
        "recorder".into()
    }
}

#[tokio::test]
async fn rpc_send_prepends_a_compute_limit_of_simulated_usage_plus_a_fifth() {
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let client = RpcClient::new_sender(
        Recorder {
            inner: solana_rpc_client::mock_sender::MockSender::new("succeeds"),
            sent: sent.clone(),
        },
        solana_rpc_client::rpc_client::RpcClientConfig::with_commitment(
            CommitmentConfig::confirmed(),
        ),
    );
    let payer = Keypair::new();
    let payer_key = payer.pubkey();
    let mut chain = RpcChain::with_client(client, payer);
    chain.fetch_logs = false;
    let market = Pubkey::new_unique();
    chain
        .send(&[crate::ix::update_funding(&market)], &[])
        .await
        .expect("sent");
    let txs = sent.lock().unwrap();
    assert_eq!(txs.len(), 1);
    let msg = &txs[0].message;
    assert_eq!(msg.account_keys[0], payer_key);
    let first = &msg.instructions[0];
    assert_eq!(
        msg.account_keys[first.program_id_index as usize],
        COMPUTE_BUDGET_ID
    );
    assert_eq!(first.data, set_compute_unit_limit(60_000).data);
    let second = &msg.instructions[1];
    assert_eq!(
        msg.account_keys[second.program_id_index as usize],
        bulwark::ID
    );
}

/// Answers getSignaturesForAddress and getTransaction with one ledger
/// transaction; everything else like the library's mock.
struct LedgerNode {
    inner: solana_rpc_client::mock_sender::MockSender,
    tx: serde_json::Value,
    sig: String,
}

#[async_trait::async_trait]
impl solana_rpc_client::rpc_sender::RpcSender for LedgerNode {
    async fn send(
        &self,
        request: solana_rpc_client_api::request::RpcRequest,
        params: serde_json::Value,
    ) -> solana_rpc_client_api::client_error::Result<serde_json::Value> {
        use solana_rpc_client_api::request::RpcRequest;
        match request {
            RpcRequest::GetSignaturesForAddress => {
                assert_eq!(params[0], crate::ix::insurance_ledger_pda().to_string());
                Ok(serde_json::json!([
                    { "signature": self.sig, "slot": 5, "err": null, "memo": null,
                      "blockTime": null, "confirmationStatus": "finalized" },
                    { "signature": bs58::encode([9u8; 64]).into_string(), "slot": 4,
                      "err": {"InstructionError": [0, {"Custom": 1}]}, "memo": null,
                      "blockTime": null, "confirmationStatus": "finalized" }
                ]))
            }
            RpcRequest::GetTransaction => {
                assert_eq!(params[0], self.sig.as_str());
                Ok(self.tx.clone())
            }
            _ => self.inner.send(request, params).await,
        }
    }
    fn get_transport_stats(&self) -> solana_rpc_client::rpc_sender::RpcTransportStats {
        Default::default()
    }
    fn url(&self) -> String {
        "ledger".into()
    }
}

#[tokio::test]
async fn ledger_events_are_read_from_the_program_self_invocations() {
    use anchor_lang::{AnchorSerialize, Discriminator};
    use bulwark::state::InsuranceLedgerEntry;
    let entry = InsuranceLedgerEntry {
        seq: 0,
        slot: 5,
        unix_ts: 1_700_000_000,
        kind: 2,
        market: Pubkey::default(),
        counterparty: Pubkey::new_unique(),
        amount: 40_000_000_000,
        balance_after: 40_000_000_000,
        shares_after: 40_000_000_000,
        total_inflows_after: 40_000_000_000,
        hash_after: [7; 32],
    };
    let mut data = anchor_lang::event::EVENT_IX_TAG_LE.to_vec();
    data.extend_from_slice(InsuranceLedgerEntry::DISCRIMINATOR);
    entry.serialize(&mut data).unwrap();
    let b58 = bs58::encode(&data).into_string();
    let sig = bs58::encode([3u8; 64]).into_string();
    let fake = Pubkey::new_unique().to_string();
    let tx = serde_json::json!({
        "slot": 5, "blockTime": null,
        "transaction": {
            "signatures": [sig],
            "message": {
                "header": {"numRequiredSignatures": 1, "numReadonlySignedAccounts": 0,
                           "numReadonlyUnsignedAccounts": 2},
                "accountKeys": [Pubkey::new_unique().to_string(), bulwark::ID.to_string(),
                                crate::ix::event_authority().to_string()],
                "recentBlockhash": Pubkey::new_unique().to_string(),
                "instructions": []
            }
        },
        "meta": {
            "err": null, "status": {"Ok": null}, "fee": 5000,
            "preBalances": [], "postBalances": [],
            "innerInstructions": [{"index": 0, "instructions": [
                {"programIdIndex": 1, "accounts": [2], "data": b58, "stackHeight": 2},
                {"programIdIndex": 3, "accounts": [], "data": b58, "stackHeight": 2}
            ]}],
            "logMessages": [],
            "loadedAddresses": {"writable": [], "readonly": [fake]}
        }
    });
    let client = RpcClient::new_sender(
        LedgerNode {
            inner: solana_rpc_client::mock_sender::MockSender::new("succeeds"),
            tx,
            sig,
        },
        solana_rpc_client::rpc_client::RpcClientConfig::with_commitment(
            CommitmentConfig::confirmed(),
        ),
    );
    let chain = RpcChain::with_client(client, Keypair::new());
    let events = chain.ledger_events(100).await.unwrap();
    // The copy "invoked" by another program is ignored; so is the
    // failed transaction.
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].amount, entry.amount);
    assert_eq!(events[0].counterparty, entry.counterparty);
    assert_eq!(events[0].hash_after, [7; 32]);
}
