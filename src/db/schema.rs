//! The tables, by hand, in types both backends share: ids and states as Text, UTC times as
//! Timestamp, days as Date. Keep in step with both migration folders.

diesel::table! {
    jurisdictions (code) {
        code -> Text,
        name_zh -> Text,
        name_en -> Text,
        level -> Text,
        parent -> Nullable<Text>,
    }
}

diesel::table! {
    authorities (code) {
        code -> Text,
        jurisdiction -> Text,
        kind -> Text,
        level -> Text,
        name_zh -> Text,
        name_en -> Text,
    }
}

diesel::table! {
    firms (id) {
        id -> Text,
        credit_code -> Text,
        name -> Text,
        oversize_qualified -> Bool,
        restricted_until -> Nullable<Date>,
        created_at -> Timestamp,
        licence_no -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        password_hash -> Text,
        firm_id -> Nullable<Text>,
        authority_code -> Nullable<Text>,
        scope_jurisdiction -> Nullable<Text>,
        language -> Text,
        active -> Bool,
        created_at -> Timestamp,
        firm_holder -> Bool,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        email -> Text,
        address -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    calendar_days (jurisdiction, day) {
        jurisdiction -> Text,
        day -> Date,
        working -> Bool,
        note -> Text,
        source -> Text,
    }
}

diesel::table! {
    calendar_years (jurisdiction, year) {
        jurisdiction -> Text,
        year -> Integer,
        verified -> Bool,
        source -> Text,
    }
}

diesel::joinable!(authorities -> jurisdictions (jurisdiction));
diesel::joinable!(users -> firms (firm_id));
diesel::joinable!(users -> authorities (authority_code));
diesel::joinable!(api_tokens -> users (user_id));

diesel::table! {
    workflow_definitions (name, version) {
        name -> Text,
        version -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reference_counters (year) {
        year -> Integer,
        last_value -> Integer,
    }
}

diesel::table! {
    applications (id) {
        id -> Text,
        reference -> Text,
        firm_id -> Text,
        created_by -> Text,
        status -> Text,
        version -> Integer,
        input -> Text,
        workflow -> Nullable<Text>,
        workflow_version -> Nullable<Integer>,
        permit_class -> Nullable<Text>,
        issuing_level -> Nullable<Text>,
        issuing_authority -> Nullable<Text>,
        statutory_working_days -> Nullable<Integer>,
        statutory_due_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        issued_at -> Nullable<Timestamp>,
        paused_minutes -> Integer,
        paused_since -> Nullable<Timestamp>,
        permit_no -> Nullable<Text>,
        net_minutes -> Nullable<Integer>,
        submitted_day -> Nullable<Date>,
        submitted_week -> Nullable<Date>,
        kind -> Text,
        reported_at -> Nullable<Timestamp>,
        report_folded -> Bool,
    }
}

diesel::table! {
    report_applications (scope, day, workflow, class, kind) {
        scope -> Text,
        day -> Date,
        workflow -> Text,
        class -> Text,
        kind -> Text,
        submitted -> BigInt,
        issued -> BigInt,
        rejected -> BigInt,
        not_accepted -> BigInt,
        minutes -> Binary,
    }
}

diesel::table! {
    report_tasks (scope, day, authority_code, phase) {
        scope -> Text,
        day -> Date,
        authority_code -> Text,
        phase -> Text,
        minutes -> Binary,
    }
}

diesel::table! {
    application_areas (application_id, county) {
        application_id -> Text,
        county -> Text,
        prefecture -> Text,
    }
}

diesel::table! {
    application_phases (application_id, position) {
        application_id -> Text,
        position -> Integer,
        name -> Text,
        state -> Text,
        opened_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    review_tasks (id) {
        id -> Text,
        application_id -> Text,
        phase_position -> Integer,
        position -> Integer,
        step -> Text,
        authority_code -> Text,
        budget_minutes -> Integer,
        state -> Text,
        assignee -> Nullable<Text>,
        opened_at -> Nullable<Timestamp>,
        claimed_at -> Nullable<Timestamp>,
        due_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        decision -> Nullable<Text>,
        conditions -> Text,
        comment -> Nullable<Text>,
        escalation_level -> Integer,
        reminded_at -> Nullable<Timestamp>,
        net_minutes -> Nullable<Integer>,
        next_sla_at -> Nullable<Timestamp>,
        budget_clock -> Text,
    }
}

diesel::table! {
    application_events (id) {
        id -> Text,
        application_id -> Text,
        seq -> Integer,
        at -> Timestamp,
        kind -> Text,
        actor_id -> Nullable<Text>,
        task_id -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        application_id -> Text,
        kind -> Text,
        filename -> Text,
        content_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        load_key -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        status_code -> Nullable<Integer>,
        response -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        message_id -> Text,
        event_kind -> Text,
        reference -> Text,
        application_id -> Nullable<Text>,
        recipient -> Text,
        recipient_name -> Text,
        language -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    permit_counters (jurisdiction, year) {
        jurisdiction -> Text,
        year -> Integer,
        last_value -> Integer,
    }
}

diesel::table! {
    permits (permit_no) {
        permit_no -> Text,
        application_id -> Text,
        version -> Integer,
        holder_firm_id -> Text,
        holder_name -> Text,
        holder_credit_code -> Text,
        plates -> Text,
        cargo -> Text,
        vehicle -> Text,
        route -> Text,
        conditions -> Text,
        valid_from -> Date,
        valid_to -> Date,
        trips_allowed -> Integer,
        trips_used -> Integer,
        issuing_authority -> Text,
        issuing_jurisdiction -> Text,
        issued_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
        revoke_reason -> Nullable<Text>,
        position -> Integer,
        load_key -> Nullable<Text>,
        project_name -> Nullable<Text>,
        fleet -> Text,
    }
}

diesel::table! {
    permit_trips (id) {
        id -> Text,
        permit_no -> Text,
        trip_no -> Integer,
        plate -> Text,
        location -> Text,
        note -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        vehicle -> Text,
        arrived_at -> Nullable<Timestamp>,
        last_seen_at -> Nullable<Timestamp>,
        last_seen_location -> Nullable<Text>,
    }
}

diesel::table! {
    trip_scans (id) {
        id -> Text,
        permit_no -> Text,
        trip_no -> Integer,
        stage -> Text,
        plate -> Text,
        location -> Text,
        note -> Text,
        inspector -> Text,
        at -> Timestamp,
        warnings -> Text,
    }
}

diesel::table! {
    admin_events (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        kind -> Text,
        subject -> Text,
        detail -> Text,
    }
}

diesel::joinable!(applications -> firms (firm_id));
diesel::joinable!(permits -> applications (application_id));
diesel::joinable!(permit_trips -> permits (permit_no));
diesel::joinable!(permit_trips -> users (recorded_by));
diesel::joinable!(trip_scans -> permits (permit_no));
diesel::joinable!(review_tasks -> applications (application_id));
diesel::joinable!(application_phases -> applications (application_id));
diesel::joinable!(application_events -> applications (application_id));
diesel::joinable!(application_areas -> applications (application_id));
diesel::joinable!(attachments -> applications (application_id));

diesel::allow_tables_to_appear_in_same_query!(
    jurisdictions,
    authorities,
    firms,
    users,
    api_tokens,
    login_failures,
    calendar_days,
    calendar_years,
    workflow_definitions,
    reference_counters,
    applications,
    application_areas,
    application_phases,
    review_tasks,
    application_events,
    attachments,
    idempotency_keys,
    outbox,
    permit_counters,
    permits,
    permit_trips,
    trip_scans,
    admin_events,
    amendments,
    registrations,
    account_tokens,
    throttle_hits,
);

diesel::table! {
    amendments (id) {
        id -> Text,
        permit_no -> Text,
        application_id -> Text,
        number -> Integer,
        from_version -> Integer,
        to_version -> Nullable<Integer>,
        changes -> Text,
        previous -> Text,
        reason -> Text,
        requested_by -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        open_permit_no -> Nullable<Text>,
    }
}

diesel::joinable!(amendments -> permits (permit_no));

diesel::table! {
    registrations (id) {
        id -> Text,
        firm_code -> Text,
        firm_name -> Text,
        licence_no -> Text,
        contact_name -> Text,
        phone -> Text,
        email -> Text,
        password_hash -> Text,
        language -> Text,
        status -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        reason -> Nullable<Text>,
        user_id -> Nullable<Text>,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> Text,
        token_hash -> Text,
        purpose -> Text,
        registration_id -> Nullable<Text>,
        user_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttle_hits (id) {
        id -> Text,
        action -> Text,
        subject -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(account_tokens -> registrations (registration_id));
