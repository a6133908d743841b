//! `provider::drtest::echo(text, times)`: repeats text; a negative count blames argument 1.

use async_trait::async_trait;
use tf_framework::function::{Arguments, Function, FunctionError, Parameter, Signature};
use tf_framework::value::{Type, Value};

pub struct Echo;

#[async_trait]
impl Function for Echo {
    fn name(&self) -> &str {
        "echo"
    }

    fn signature(&self) -> Signature {
        Signature::new(Type::String)
            .summary("Repeats a string")
            .description("Returns `text` repeated `times` times.")
            .parameter(Parameter::new("text", Type::String).description("The text."))
            .parameter(Parameter::new("times", Type::Number).description("How often, 0 or more."))
    }

    async fn call(&self, args: Arguments) -> Result<Value, FunctionError> {
        let text: String = args.get(0)?;
        let times: i64 = args.get(1)?;
        let times = usize::try_from(times).map_err(|_| {
            FunctionError::argument(1, format!("times must be 0 or more, got {times}"))
        })?;
        args.result(&text.repeat(times))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a failed expect is a failed test
mod tests {
    use super::*;
    use tf_framework::value::Number;

    #[tokio::test]
    async fn repeats_and_blames_the_count() {
        let args = |n: i64| {
            Arguments::for_tests(
                vec![
                    Value::String("ab".into()),
                    Value::Number(Number::from_i64(n)),
                ],
                Type::String,
            )
        };
        assert_eq!(Echo.call(args(3)).await, Ok(Value::String("ababab".into())));
        let err = Echo.call(args(-1)).await.expect_err("negative");
        assert_eq!(err.argument, Some(1));
    }
}
