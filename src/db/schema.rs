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
    calendar_days (day) {
        day -> Date,
        working -> Bool,
        note -> Text,
        source -> Text,
    }
}

diesel::table! {
    calendar_years (year) {
        year -> Integer,
        verified -> Bool,
        source -> Text,
    }
}

diesel::joinable!(authorities -> jurisdictions (jurisdiction));
diesel::joinable!(users -> firms (firm_id));
diesel::joinable!(users -> authorities (authority_code));
diesel::joinable!(api_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    jurisdictions,
    authorities,
    firms,
    users,
    api_tokens,
    login_failures,
    calendar_days,
    calendar_years,
);
