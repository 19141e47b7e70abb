//! The service-mode messages decode bytes laid out by hand from the field
//! numbers of ConductorOne's API (reference §7.2), so a wrong number in our
//! .proto fails here rather than against ConductorOne.

use baton_proto::baton_v1::baton_service_finish_task_request::FinalState;
use baton_proto::baton_v1::baton_service_upload_asset_request::Msg;
use baton_proto::baton_v1::task::TaskType;
use baton_proto::baton_v1::{
    BatonServiceFinishTaskRequest, BatonServiceGetTaskResponse, BatonServiceHeartbeatResponse,
    BatonServiceHelloRequest, BatonServiceUploadAssetRequest, Task,
};
use prost::encoding::{encode_key, encode_varint, WireType};
use prost::Message;

/// A length-delimited field.
fn bytes_field(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(number, WireType::LengthDelimited, &mut out);
    encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

fn varint_field(number: u32, value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(number, WireType::Varint, &mut out);
    encode_varint(value, &mut out);
    out
}

fn concat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn task_types_have_conductorones_numbers() {
    let expect = |number: u32, check: fn(&TaskType) -> bool| {
        let bytes = concat(&[bytes_field(1, b"2abc"), bytes_field(number, &[])]);
        let task = Task::decode(bytes.as_slice()).unwrap();
        assert_eq!(task.id, "2abc");
        let kind = task.task_type.expect("a task type");
        assert!(check(&kind), "field {number} decoded as {kind:?}");
    };
    expect(100, |t| matches!(t, TaskType::None(_)));
    expect(101, |t| matches!(t, TaskType::Hello(_)));
    expect(102, |t| matches!(t, TaskType::SyncFull(_)));
    expect(103, |t| matches!(t, TaskType::Grant(_)));
    expect(104, |t| matches!(t, TaskType::Revoke(_)));
    expect(105, |t| matches!(t, TaskType::CreateAccount(_)));
    expect(109, |t| matches!(t, TaskType::EventFeed(_)));
    expect(123, |t| matches!(t, TaskType::IssueCredential(_)));

    // GrantTask: entitlement 1, principal 2; Entitlement.id is 2, Resource.display_name 3.
    let grant = concat(&[
        bytes_field(1, &bytes_field(2, b"team:1:Team Member")),
        bytes_field(2, &bytes_field(3, b"Ada")),
    ]);
    let task = Task::decode(bytes_field(103, &grant).as_slice()).unwrap();
    let Some(TaskType::Grant(g)) = task.task_type else {
        panic!("not a grant task")
    };
    assert_eq!(g.entitlement.unwrap().id, "team:1:Team Member");
    assert_eq!(g.principal.unwrap().display_name, "Ada");

    // SyncFullTask.skip_entitlements_and_grants is 3; Task.debug is 3.
    let bytes = concat(&[bytes_field(102, &varint_field(3, 1)), varint_field(3, 1)]);
    let task = Task::decode(bytes.as_slice()).unwrap();
    assert!(task.debug);
    let Some(TaskType::SyncFull(s)) = task.task_type else {
        panic!("not a sync task")
    };
    assert!(s.skip_entitlements_and_grants);
}

#[test]
fn get_task_and_heartbeat_answers() {
    // GetTaskResponse: task 1, next_poll 2, next_heartbeat 3 (Duration seconds 1, nanos 2).
    let bytes = concat(&[
        bytes_field(1, &bytes_field(1, b"t")),
        bytes_field(2, &varint_field(1, 5)),
        bytes_field(3, &varint_field(2, 7)),
    ]);
    let response = BatonServiceGetTaskResponse::decode(bytes.as_slice()).unwrap();
    assert_eq!(response.task.unwrap().id, "t");
    assert_eq!(response.next_poll.unwrap().seconds, 5);
    assert_eq!(response.next_heartbeat.unwrap().nanos, 7);

    // HeartbeatResponse: next_heartbeat 1, cancelled 2, cancelled_task_ids 4.
    let bytes = concat(&[
        bytes_field(1, &varint_field(1, 30)),
        varint_field(2, 1),
        bytes_field(4, b"x"),
    ]);
    let response = BatonServiceHeartbeatResponse::decode(bytes.as_slice()).unwrap();
    assert_eq!(response.next_heartbeat.unwrap().seconds, 30);
    assert!(response.cancelled);
    assert_eq!(response.cancelled_task_ids, ["x"]);
}

#[test]
fn hello_finish_and_upload_requests_encode_to_conductorones_numbers() {
    // Encoded by us, decoded field by field by hand.
    let hello = BatonServiceHelloRequest {
        host_id: "h".into(),
        task_id: "t".into(),
        os_info: Some(Default::default()),
        connector_metadata: Some(baton_proto::v2::ConnectorMetadata {
            display_name: "Asana".into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let expected = concat(&[
        bytes_field(1, b"h"),
        bytes_field(2, b"t"),
        bytes_field(4, &[]),
        bytes_field(5, &bytes_field(1, b"Asana")),
    ]);
    assert_eq!(hello.encode_to_vec(), expected);

    let finish = BatonServiceFinishTaskRequest {
        host_id: "h".into(),
        task_id: "t".into(),
        status: Some(baton_proto::google::rpc::Status {
            code: 9,
            message: "m".into(),
            details: Vec::new(),
        }),
        final_state: Some(FinalState::Error(
            baton_proto::baton_v1::baton_service_finish_task_request::Error {
                non_retryable: true,
                annotations: Vec::new(),
                response: None,
            },
        )),
    };
    let expected = concat(&[
        bytes_field(1, b"h"),
        bytes_field(2, b"t"),
        bytes_field(3, &concat(&[varint_field(1, 9), bytes_field(2, b"m")])),
        bytes_field(100, &varint_field(1, 1)),
    ]);
    assert_eq!(finish.encode_to_vec(), expected);

    let success = BatonServiceFinishTaskRequest {
        task_id: "t".into(),
        final_state: Some(FinalState::Success(
            baton_proto::baton_v1::baton_service_finish_task_request::Success {
                annotations: Vec::new(),
                response: Some(baton_proto::Any {
                    type_url: "u".into(),
                    value: Vec::new().into(),
                }),
            },
        )),
        ..Default::default()
    };
    let expected = concat(&[
        bytes_field(2, b"t"),
        bytes_field(101, &bytes_field(2, &bytes_field(1, b"u"))),
    ]);
    assert_eq!(success.encode_to_vec(), expected);

    let eof = BatonServiceUploadAssetRequest {
        msg: Some(Msg::Eof(
            baton_proto::baton_v1::baton_service_upload_asset_request::UploadEof {
                sha256_checksum: vec![0xAB; 32],
                annotations: Vec::new(),
            },
        )),
    };
    assert_eq!(
        eof.encode_to_vec(),
        bytes_field(102, &bytes_field(1, &[0xAB; 32]))
    );
    let data = BatonServiceUploadAssetRequest {
        msg: Some(Msg::Data(
            baton_proto::baton_v1::baton_service_upload_asset_request::UploadData {
                data: vec![1, 2, 3],
            },
        )),
    };
    assert_eq!(
        data.encode_to_vec(),
        bytes_field(101, &bytes_field(1, &[1, 2, 3]))
    );
    let metadata = BatonServiceUploadAssetRequest {
        msg: Some(Msg::Metadata(
            baton_proto::baton_v1::baton_service_upload_asset_request::UploadMetadata {
                host_id: "h".into(),
                task_id: "t".into(),
                annotations: Vec::new(),
            },
        )),
    };
    assert_eq!(
        metadata.encode_to_vec(),
        bytes_field(100, &concat(&[bytes_field(1, b"h"), bytes_field(2, b"t")]))
    );
}
