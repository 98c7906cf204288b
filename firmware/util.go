package firmware

import "github.com/wslab/wslab/core"

func appendInt(dst []byte, n int) []byte { return core.AppendInt(dst, int64(n)) }

func hasPrefix(b []byte, s string) bool { return core.HasPrefix(b, s) }

// queryInt returns the decimal value of key in a query string, or def.
func queryInt(query []byte, key string, def int64) int64 {
	for len(query) > 0 {
		var kv []byte
		i := 0
		for i < len(query) && query[i] != '&' {
			i++
		}
		kv, query = query[:i], query[i:]
		if len(query) > 0 {
			query = query[1:]
		}
		if len(kv) > len(key) && core.HasPrefix(kv, key) && kv[len(key)] == '=' {
			v := kv[len(key)+1:]
			var n int64
			if len(v) == 0 || len(v) > 18 {
				return def
			}
			for _, c := range v {
				if c < '0' || c > '9' {
					return def
				}
				n = n*10 + int64(c-'0')
			}
			return n
		}
	}
	return def
}

// queryHas reports whether key=value is in the query string.
func queryHas(query []byte, key, value string) bool {
	for len(query) > 0 {
		i := 0
		for i < len(query) && query[i] != '&' {
			i++
		}
		kv := query[:i]
		if len(kv) == len(key)+1+len(value) && core.HasPrefix(kv, key) && kv[len(key)] == '=' && core.Equal(kv[len(key)+1:], value) {
			return true
		}
		query = query[i:]
		if len(query) > 0 {
			query = query[1:]
		}
	}
	return false
}
