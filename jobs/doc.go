// Package jobs does roasd's scheduled work; package scheduler runs it. It is
// the one package that brings the platform clients (metaads, tiktokads,
// shopify), the store, reconcile and notify together: per-account syncs
// (permissions, ads, insights, Spark codes, orders — with their
// restatement windows, high-water marks and bulk exports), the token and
// API-version checks, and the per-brand stages (reconcile, verdicts,
// actions and approvals, digest, notify). Jobs turns a configuration into
// scheduler.Jobs with their schedules; Deps holds what they work with;
// Metrics are roasd's Prometheus series.
package jobs
