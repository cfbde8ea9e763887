package kms

import (
	"context"
	"sort"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/kmsapi"
)

func init() {
	register("TagResource", (*Service).TagResource)
	register("UntagResource", (*Service).UntagResource)
	register("ListResourceTags", (*Service).ListResourceTags)
}

// maxTagsPerKey is AWS's limit.
const maxTagsPerKey = 50

// TagResource adds or replaces tags on a key.
func (s *Service) TagResource(ctx context.Context, c *Caller, in *kmsapi.TagResourceInput) (*kmsapi.TagResourceOutput, error) {
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	_, err = s.mutateKey(ctx, c, str(in.KeyId), "TagResource", func(k *keyhold.Key) (bool, error) {
		existing, err := s.store.ListTags(ctx, k.ARN)
		if err != nil {
			return false, internal(err)
		}
		merged := make(map[string]bool, len(existing)+len(tags))
		for _, t := range existing {
			merged[t.Key] = true
		}
		for _, t := range tags {
			merged[t.Key] = true
		}
		if len(merged) > maxTagsPerKey {
			return false, keyhold.NewError(keyhold.ErrCodeTag, "Too many tags")
		}
		if err := s.store.UpdateTags(ctx, k.ARN, tags, nil); err != nil {
			return false, internal(err)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.TagResourceOutput{}, nil
}

// UntagResource removes tags from a key; removing an absent tag is not an
// error.
func (s *Service) UntagResource(ctx context.Context, c *Caller, in *kmsapi.UntagResourceInput) (*kmsapi.UntagResourceOutput, error) {
	_, err := s.mutateKey(ctx, c, str(in.KeyId), "UntagResource", func(k *keyhold.Key) (bool, error) {
		if err := s.store.UpdateTags(ctx, k.ARN, nil, in.TagKeys); err != nil {
			return false, internal(err)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.UntagResourceOutput{}, nil
}

// ListResourceTags lists a key's tags sorted by key. Limit is 1..50,
// default 50.
func (s *Service) ListResourceTags(ctx context.Context, c *Caller, in *kmsapi.ListResourceTagsInput) (*kmsapi.ListResourceTagsOutput, error) {
	limit, err := listLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker, "tag")
	if err != nil {
		return nil, err
	}
	k, err := s.resolveKeyID(ctx, c, str(in.KeyId))
	if err != nil {
		return nil, err
	}
	tags, err := s.store.ListTags(ctx, k.ARN)
	if err != nil {
		return nil, internal(err)
	}
	i := sort.Search(len(tags), func(i int) bool { return in.Marker == nil || tags[i].Key > after })
	tags = tags[i:]
	out := &kmsapi.ListResourceTagsOutput{Tags: []kmsapi.Tag{}, Truncated: ptr(false)}
	if len(tags) > limit {
		tags = tags[:limit]
		out.Truncated = ptr(true)
		out.NextMarker = ptr(encodeMarker("tag", tags[len(tags)-1].Key))
	}
	for _, t := range tags {
		out.Tags = append(out.Tags, kmsapi.Tag{TagKey: ptr(t.Key), TagValue: ptr(t.Value)})
	}
	return out, nil
}
