//! What a function does with an identifier: where it is used, assigned,
//! declared, and whether it escapes. Names, not symbols: a local that
//! shadows another of the same name counts as the same one, which only
//! ever makes a constraint stricter.

use std::ops::Range;
use tree_sitter::Node;

/// Every `identifier` node named `name` under `scope`, in order.
pub fn uses<'t>(scope: Node<'t>, name: &[u8], text: &[u8]) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut cursor = scope.walk();
    loop {
        let n = cursor.node();
        if n.kind() == "identifier" && &text[n.byte_range()] == name {
            out.push(n);
        }
        if n.child_count() > 0 && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == scope {
                return out;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// The name a declarator declares (through pointers, arrays, initializers).
pub fn declared_name<'t>(mut decl: Node<'t>) -> Option<Node<'t>> {
    loop {
        match decl.kind() {
            "identifier" => return Some(decl),
            "init_declarator"
            | "pointer_declarator"
            | "array_declarator"
            | "parenthesized_declarator"
            | "attributed_declarator" => decl = decl.child_by_field_name("declarator")?,
            _ => return None,
        }
    }
}

/// The declarator (and its declaration) that introduces `name` in `func`:
/// a local declaration or a parameter.
pub fn declaration_of<'t>(
    func: Node<'t>,
    name: &[u8],
    text: &[u8],
) -> Option<(Node<'t>, Node<'t>)> {
    uses(func, name, text).into_iter().find_map(|id| {
        let mut n = id;
        loop {
            let p = n.parent()?;
            match p.kind() {
                "declaration" | "parameter_declaration" => {
                    let is_declarator = p
                        .children_by_field_name("declarator", &mut p.walk())
                        .any(|d| d == n && declared_name(d) == Some(id));
                    return is_declarator.then_some((n, p));
                }
                "init_declarator" if p.child_by_field_name("value") == Some(n) => return None,
                "init_declarator"
                | "pointer_declarator"
                | "array_declarator"
                | "parenthesized_declarator"
                | "attributed_declarator" => n = p,
                _ => return None,
            }
        }
    })
}

fn inside_any(n: Node, ranges: &[Range<usize>]) -> bool {
    ranges
        .iter()
        .any(|r| r.start <= n.start_byte() && n.end_byte() <= r.end)
}

/// Uses of `name` in `func` outside `matched` and outside its declaration.
pub fn uses_outside<'t>(
    func: Node<'t>,
    name: &[u8],
    text: &[u8],
    matched: &[Range<usize>],
) -> Vec<Node<'t>> {
    let decl = declaration_of(func, name, text).map(|(d, _)| d.byte_range());
    uses(func, name, text)
        .into_iter()
        .filter(|u| !inside_any(*u, matched))
        .filter(|u| {
            decl.as_ref()
                .is_none_or(|d| !inside_any(*u, std::slice::from_ref(d)))
        })
        .collect()
}

/// Whether any of `nodes` assigns `name`, changes it with `++`/`--`, or
/// takes its address.
pub fn assigned_in(nodes: &[Node], name: &[u8], text: &[u8]) -> Option<usize> {
    nodes.iter().find_map(|n| {
        uses(*n, name, text)
            .into_iter()
            .find(|u| is_assigned(*u))
            .map(|u| u.start_position().row + 1)
    })
}

fn is_assigned(id: Node) -> bool {
    let Some(p) = id.parent() else { return false };
    match p.kind() {
        "assignment_expression" => p.child_by_field_name("left") == Some(id),
        "update_expression" => true,
        "pointer_expression" => p.child(0).is_some_and(|op| op.kind() == "&"),
        _ => false,
    }
}

/// Where `id` (a use) hands its value on, if it does: returned, stored,
/// copied, its address taken, or passed to a call not in `allowed`.
pub fn escape_of(id: Node, text: &[u8], allowed: &[String]) -> Option<String> {
    let mut n = id;
    let mut p = id.parent()?;
    while matches!(p.kind(), "parenthesized_expression" | "cast_expression") {
        n = p;
        p = p.parent()?;
    }
    let line = id.start_position().row + 1;
    match p.kind() {
        "return_statement" => Some(format!("returned on line {line}")),
        "assignment_expression" if p.child_by_field_name("right") == Some(n) => {
            Some(format!("stored on line {line}"))
        }
        "init_declarator" if p.child_by_field_name("value") == Some(n) => {
            Some(format!("copied on line {line}"))
        }
        "initializer_list" | "initializer_pair" => Some(format!("stored on line {line}")),
        "pointer_expression" if p.child(0).is_some_and(|op| op.kind() == "&") => {
            Some(format!("its address is taken on line {line}"))
        }
        "argument_list" => {
            let call = p.parent()?;
            let callee = call.child_by_field_name("function")?;
            let name = std::str::from_utf8(&text[callee.byte_range()]).ok()?;
            (!allowed.iter().any(|a| a == name))
                .then(|| format!("passed to {name}() on line {line}"))
        }
        _ => None,
    }
}

/// The function definition around `node`.
pub fn enclosing_function(node: Node) -> Option<Node> {
    let mut up = Some(node);
    while let Some(n) = up {
        if n.kind() == "function_definition" {
            return Some(n);
        }
        up = n.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    const SRC: &str = "static int f(struct device *dev)\n{\n\tstruct node *np, *child;\n\tint n = 0;\n\n\tchild = get(np);\n\tn++;\n\tkeep(child);\n\tdev->priv = child;\n\treturn n;\n}\n";

    #[test]
    fn finds_declarations_assignments_and_escapes() {
        let parsed = parse(SRC.as_bytes());
        let text = parsed.text();
        let func = parsed.root().named_child(0).unwrap();
        let (d, decl) = declaration_of(func, b"child", text).unwrap();
        assert_eq!(&SRC[d.byte_range()], "*child");
        assert_eq!(decl.kind(), "declaration");
        assert_eq!(uses_outside(func, b"child", text, &[]).len(), 3);
        let body: Vec<Node> = vec![func];
        assert_eq!(assigned_in(&body, b"n", text), Some(7));
        let allowed = vec!["get".to_string()];
        let why: Vec<String> = uses_outside(func, b"child", text, &[])
            .into_iter()
            .filter_map(|u| escape_of(u, text, &allowed))
            .collect();
        assert_eq!(why, ["passed to keep() on line 8", "stored on line 9"]);
        let (p, _) = declaration_of(func, b"dev", text).unwrap();
        assert_eq!(p.parent().unwrap().kind(), "parameter_declaration");
    }
}
