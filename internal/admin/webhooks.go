package admin

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/latchkeyhq/latchkey/ent"
	"github.com/latchkeyhq/latchkey/ent/webhookdelivery"
	"github.com/latchkeyhq/latchkey/ent/webhookendpoint"
	"github.com/latchkeyhq/latchkey/ent/webhookevent"
	"github.com/latchkeyhq/latchkey/internal/audit"
	"github.com/latchkeyhq/latchkey/internal/authz"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/gqlerr"
	"github.com/latchkeyhq/latchkey/internal/perm"
	"github.com/latchkeyhq/latchkey/internal/webhook"
)

// CreateWebhookEndpointInput is GraphQL's CreateWebhookEndpointInput.
type CreateWebhookEndpointInput struct {
	URL     string
	Events  []string
	Enabled *bool
}

// UpdateWebhookEndpointInput is GraphQL's UpdateWebhookEndpointInput; nil
// means unchanged.
type UpdateWebhookEndpointInput struct {
	URL     *string
	Events  []string
	Enabled *bool
}

// WebhookEndpointWithSecret is the payload of createWebhookEndpoint: the
// only place the signing secret ever appears.
type WebhookEndpointWithSecret struct {
	Endpoint *ent.WebhookEndpoint
	Secret   string
}

var (
	createWebhook    = perm.Permission{ContentType: "webhook", Action: "create"}
	updateWebhook    = perm.Permission{ContentType: "webhook", Action: "update"}
	deleteWebhook    = perm.Permission{ContentType: "webhook", Action: "delete"}
	redeliverWebhook = perm.Permission{ContentType: "webhook", Action: "redeliver"}
)

// CreateWebhookEndpoint registers an endpoint and returns its signing secret.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, in CreateWebhookEndpointInput) (*WebhookEndpointWithSecret, error) {
	c, err := s.caller(ctx, createWebhook)
	if err != nil {
		return nil, err
	}
	if err := webhookCeiling(c); err != nil {
		return nil, err
	}
	u, err := webhookURL(in.URL)
	if err != nil {
		return nil, err
	}
	types, err := eventTypes(in.Events)
	if err != nil {
		return nil, err
	}
	enabled := in.Enabled == nil || *in.Enabled
	salt := webhook.NewSalt()
	now := s.now()
	ep, err := db(ctx).WebhookEndpoint.Create().
		SetURL(u).SetEvents(types).SetEnabled(enabled).SetSecretSalt(salt).
		SetCreatedAt(now).SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.auditWebhook(ctx, "webhook.create", ep, []string{"url", "events", "enabled", "secret"}); err != nil {
		return nil, err
	}
	return &WebhookEndpointWithSecret{Endpoint: ep, Secret: webhook.NewSecrets(s.Hasher).For(salt)}, nil
}

// UpdateWebhookEndpoint changes what is given in in.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, id string, in UpdateWebhookEndpointInput) (*ent.WebhookEndpoint, error) {
	c, err := s.caller(ctx, updateWebhook)
	if err != nil {
		return nil, err
	}
	if err := webhookCeiling(c); err != nil {
		return nil, err
	}
	ep, err := s.webhookEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	upd := db(ctx).WebhookEndpoint.UpdateOne(ep).SetUpdatedAt(s.now())
	var changes []string
	if in.URL != nil {
		u, err := webhookURL(*in.URL)
		if err != nil {
			return nil, err
		}
		upd.SetURL(u)
		changes = append(changes, "url")
	}
	if in.Events != nil {
		types, err := eventTypes(in.Events)
		if err != nil {
			return nil, err
		}
		upd.SetEvents(types)
		changes = append(changes, "events")
	}
	if in.Enabled != nil {
		upd.SetEnabled(*in.Enabled)
		changes = append(changes, "enabled")
	}
	if ep, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	return ep, s.auditWebhook(ctx, "webhook.update", ep, changes)
}

// DeleteWebhookEndpoint removes an endpoint and its deliveries.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, id string) (string, error) {
	c, err := s.caller(ctx, deleteWebhook)
	if err != nil {
		return "", err
	}
	if err := webhookCeiling(c); err != nil {
		return "", err
	}
	ep, err := s.webhookEndpoint(ctx, id)
	if err != nil {
		return "", err
	}
	if _, err := db(ctx).WebhookDelivery.Delete().Where(webhookdelivery.EndpointID(ep.ID)).Exec(ctx); err != nil {
		return "", err
	}
	if err := db(ctx).WebhookEndpoint.DeleteOne(ep).Exec(ctx); err != nil {
		return "", err
	}
	return ep.ID, s.auditWebhook(ctx, "webhook.delete", ep, nil)
}

// RedeliverWebhook queues the event of a delivery for its endpoint again,
// as a new delivery due now.
func (s *Service) RedeliverWebhook(ctx context.Context, deliveryID string) (*ent.WebhookDelivery, error) {
	c, err := s.caller(ctx, redeliverWebhook)
	if err != nil {
		return nil, err
	}
	if err := webhookCeiling(c); err != nil {
		return nil, err
	}
	if err := checkID("WebhookDelivery", deliveryID); err != nil {
		return nil, err
	}
	d, err := db(ctx).WebhookDelivery.Query().Where(webhookdelivery.ID(deliveryID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("WebhookDelivery", deliveryID)
	} else if err != nil {
		return nil, err
	}
	ep, err := s.webhookEndpoint(ctx, d.EndpointID)
	if err != nil {
		return nil, err
	}
	if !ep.Enabled {
		return nil, gqlerr.BadInput("deliveryID", "the endpoint of this delivery is disabled; enable it first")
	}
	ev, err := db(ctx).WebhookEvent.Query().Where(webhookevent.ID(d.EventID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, gqlerr.BadInput("deliveryID", "the event of this delivery is no longer kept")
	} else if err != nil {
		return nil, err
	}
	again, err := events.NewDelivery(db(ctx), ep.ID, ev, s.now()).Save(ctx)
	if err != nil {
		return nil, err
	}
	return again, s.auditWebhook(ctx, "webhook.redeliver", ep, []string{"deliveries"})
}

// webhookCeiling: an endpoint receives the id, name, code and type of
// tokens and the names of personas; whoever manages one must be able to
// read those.
func webhookCeiling(c *authz.Principal) error {
	if c == nil || (c.Can("api-token", "read") && c.Can("persona", "read")) {
		return nil
	}
	return gqlerr.New(gqlerr.Forbidden, "webhooks send token and persona names: managing them needs api-token:read and persona:read")
}

func (s *Service) webhookEndpoint(ctx context.Context, id string) (*ent.WebhookEndpoint, error) {
	if err := checkID("WebhookEndpoint", id); err != nil {
		return nil, err
	}
	ep, err := locked(s, db(ctx).WebhookEndpoint.Query().Where(webhookendpoint.ID(id))).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("WebhookEndpoint", id)
	}
	return ep, err
}

// auditWebhook records a change to an endpoint. The target name is the
// URL's host only: the rest of a webhook URL can be a credential.
func (s *Service) auditWebhook(ctx context.Context, action string, ep *ent.WebhookEndpoint, changes []string) error {
	host := ep.URL
	if u, err := url.Parse(ep.URL); err == nil {
		host = u.Host
	}
	return audit.Record(ctx, audit.Event{Action: action, TargetType: "webhook", TargetID: ep.ID, TargetName: host, Changes: changes, At: s.now()})
}

// webhookURL admits https URLs, and http ones on a loopback address (a
// receiver on the same machine, tests). The URL is chosen by an admin;
// Latchkey does not follow redirects from it.
func webhookURL(v string) (string, error) {
	v = strings.TrimSpace(v)
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || len(v) > 2048 || u.Fragment != "" {
		return "", gqlerr.BadInput("url", "url must be an absolute https URL of at most 2048 characters, without user info or fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback(u.Hostname()) {
			return "", gqlerr.BadInput("url", "url must use https (http only on a loopback address)")
		}
	default:
		return "", gqlerr.BadInput("url", "url must use https (http only on a loopback address)")
	}
	return v, nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// eventTypes checks the event types an endpoint subscribes to.
func eventTypes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, gqlerr.BadInput("events", "events must name at least one event type, or \"*\" for all")
	}
	out := []string{}
	for _, t := range in {
		if !events.Known(t) {
			return nil, gqlerr.BadInput("events", "%q is no event type; known: %s, or \"*\"", t, strings.Join(events.Types(), ", "))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out, nil
}
