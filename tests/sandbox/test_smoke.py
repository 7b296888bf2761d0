def test_sdk_reads_a_demo_conversation(supervisor, sdk, demo):
    conv = sdk.ConversationsApi(supervisor).get_conversation(demo.ACTIVE)
    assert conv.id == demo.ACTIVE
    assert conv.recording_state == "ACTIVE"
    assert conv.secure_pause is False
