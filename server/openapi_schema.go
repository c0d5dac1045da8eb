package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// schemas builds OpenAPI schemas from Go types by reflection, so that the
// document describes exactly what the handlers encode and decode.
type schemas struct {
	components map[string]any
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// of returns the schema of v's type, registering named structs as
// components and returning a $ref to them.
func (s *schemas) of(v any) map[string]any {
	if v == nil {
		return nil
	}
	return s.typ(reflect.TypeOf(v))
}

func (s *schemas) typ(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{"description": "any JSON value"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return s.typ(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": s.typ(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.typ(t.Elem())}
	case reflect.Struct:
		name := componentName(t)
		if _, ok := s.components[name]; !ok {
			s.components[name] = map[string]any{} // placeholder against recursion
			s.components[name] = s.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// object returns the schema of struct t, with embedded structs inlined.
func (s *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	s.fields(t, props)
	return map[string]any{"type": "object", "properties": props}
}

func (s *schemas) fields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			s.fields(ft, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = s.typ(f.Type)
	}
}

// componentName names a struct type for the components section:
// package-qualified only where the bare name would be ambiguous.
func componentName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if strings.HasSuffix(t.PkgPath(), "/server") {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	return name
}
