//! Demo accounts for a first look: on first start with an empty database
//! (never in production mode), an admin, "Dr. Smith" and a patient, plus a
//! telehealth appointment between them a few minutes from now. The
//! passwords are random and printed once.

use chrono::{DateTime, Duration, Timelike, Utc};

use crate::db::Db;
use crate::model::Error;
use crate::model::rooms;
use crate::model::users::{self, NewUser, Role, User};

pub struct DemoAccount {
    pub email: String,
    pub password: String,
    pub role: Role,
}

/// Creates the configured first admin unless an account has that email.
pub async fn ensure_initial_admin(
    db: &Db,
    admin: &crate::config::InitialAdmin,
    now: DateTime<Utc>,
) -> Result<bool, Error> {
    let input = users::UserInput {
        email: admin.email.clone(),
        password: admin.password.clone(),
        name: admin.name.clone(),
        role: Some("admin".into()),
        phone: None,
        time_zone: None,
        whatsapp_opt_in: false,
    };
    let user = input.check(Role::Admin)?;
    if User::by_email_with_hash(db, &user.email).await?.is_some() {
        return Ok(false);
    }
    users::insert(db, user, now.timestamp()).await?;
    Ok(true)
}

/// Creates the demo data when the database has no users yet.
pub async fn seed_if_empty(db: &Db, now: DateTime<Utc>) -> Result<Vec<DemoAccount>, Error> {
    if User::count(db).await? > 0 {
        return Ok(Vec::new());
    }
    let people = [
        ("admin@confide.local", "Clinic Admin", Role::Admin),
        ("dr.smith@confide.local", "Dr. Smith", Role::Psychologist),
        ("patient@confide.local", "Pat Patient", Role::Patient),
    ];
    let mut accounts = Vec::new();
    let mut ids = Vec::new();
    for (email, name, role) in people {
        let password = format!("demo-{:016x}", rand::random::<u64>());
        // The demo patient takes WhatsApp too (a number reserved for
        // fiction), so the dev outbox shows both channels.
        let patient = role == Role::Patient;
        let user = users::insert(
            db,
            NewUser {
                email: email.into(),
                name: name.into(),
                role,
                phone: patient.then(|| "+15555550123".to_owned()),
                time_zone: "UTC".into(),
                whatsapp_opt_in: patient,
                password: password.clone(),
            },
            now.timestamp(),
        )
        .await?;
        ids.push(user.id);
        accounts.push(DemoAccount {
            email: email.into(),
            password,
            role,
        });
    }
    // A session starting on the next quarter hour at least 5 minutes away,
    // so the join button is live at once or soon.
    let start = now + Duration::minutes(5);
    let start = start
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(start);
    let mut tx = crate::db::begin_write(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO appointments (patient_id, psychologist_id, starts_at, duration_minutes, session_type, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 50, 'telehealth', 'scheduled', $4, $5, $5) RETURNING id",
    )
    .bind(ids[2])
    .bind(ids[1])
    .bind(start.timestamp())
    .bind(ids[0])
    .bind(now.timestamp())
    .fetch_one(&mut *tx)
    .await?;
    // The SFU learns of the room at start (`lifecycle::register_all`).
    rooms::assign_for_appointment(&mut tx, id).await?;
    // Its confirmation shows up in the dev outbox at once.
    crate::reminders::plan::booked(&mut tx, id, now).await?;
    tx.commit().await?;
    Ok(accounts)
}
